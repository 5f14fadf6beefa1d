// Result records reserved ahead: handed out in ring order, the ones left over become
// skipped records before anything is reserved another way, a result bigger than what
// was reserved gets a new batch after them, and a full ring is reported, not waited on.
#include "worker/result_records_ahead.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "ipc/message_record.hpp"

namespace ringrun {
namespace {

struct Fixture : ::testing::Test {
    explicit Fixture(size_t capacity = 4096)
        : mem(std::aligned_alloc(64, ipc::Ring::footprint(capacity))),
          ring(ipc::Ring::create(mem, capacity)) {}
    ~Fixture() override { std::free(mem); }

    // Commits slot holding byte as its first payload byte.
    void commit(const ipc::WriteSlot& slot, char byte) {
        std::memset(slot.data, byte, 1);
        ring.commit(slot, ipc::kCompactRecord);
    }
    // What the consumer sees, in order: the first byte of each compact record, '-' for
    // each skipped one; stops at the first record not committed.
    std::string consumed() {
        std::string seen;
        std::optional<ipc::ReadSlot> last;
        while (auto r = last ? ring.try_peek_after(*last) : ring.try_peek()) {
            seen += r->flags == ipc::kSkippedRecord ? '-' : static_cast<char>(r->data[0]);
            last = r;
        }
        if (last) ring.release(*last);
        return seen;
    }

    void* mem;
    ipc::Ring ring;
};

TEST_F(Fixture, RecordsComeInRingOrderAndAreWholeCacheLines) {
    ResultRecordsAhead ahead(ring);
    for (char c : std::string("abcdefghijk")) {
        auto slot = ahead.take(56);
        ASSERT_TRUE(slot);
        EXPECT_EQ((ipc::Ring::kHeaderBytes + slot->size) % 64, 0u);
        commit(*slot, c);
    }
    EXPECT_EQ(consumed(), "abcdefghijk");
}

TEST_F(Fixture, LeftoversBecomeSkippedRecordsBeforeAnythingElse) {
    ResultRecordsAhead ahead(ring);
    commit(*ahead.take(56), 'a');
    commit(*ahead.take(56), 'b');
    EXPECT_EQ(consumed(), "ab");  // the rest of the batch is reserved, not committed
    ahead.give_back();
    auto other = ring.try_reserve(100);  // a message's record, reserved the usual way
    ASSERT_TRUE(other);
    commit(*other, 'm');
    EXPECT_EQ(consumed(), "------m");  // 8 reserved ahead: 2 used, 6 skipped
}

TEST_F(Fixture, ABiggerResultSkipsTheRestAndGetsABatchOfItsSize) {
    ResultRecordsAhead ahead(ring);
    commit(*ahead.take(56), 'a');
    auto big = ahead.take(500);
    ASSERT_TRUE(big);
    EXPECT_GE(big->size, 500u);
    commit(*big, 'B');
    commit(*ahead.take(56), 'c');  // fits the rest of the big batch
    EXPECT_EQ(consumed(), "a-------Bc");
}

struct SmallRing : Fixture {
    SmallRing() : Fixture(512) {}
};

TEST_F(SmallRing, AFullRingIsReportedAndTheNextBatchFitsWhatIsLeft) {
    ResultRecordsAhead ahead(ring);
    std::string committed;
    for (char c = 'a'; c <= 'z'; ++c) {
        auto slot = ahead.take(56);
        if (!slot) break;
        commit(*slot, c);
        committed += c;
    }
    EXPECT_EQ(committed, "abcdefgh");  // 512 bytes: eight records of one line each
    EXPECT_EQ(consumed(), committed);  // released: room again
    auto slot = ahead.take(56);
    ASSERT_TRUE(slot);
    commit(*slot, 'z');
    EXPECT_EQ(consumed(), "z");
}

}  // namespace
}  // namespace ringrun
