// A double-ended queue over one circular buffer that keeps its storage: every job passes
// through two of the scheduler's (pending, then in flight), one per task, and
// std::deque allocates and frees a block every few of those passes.
// Must never reorder or lose an element: growing moves them, oldest first, into a
// buffer twice the size.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace ringrun {

template <typename T>
class CircularQueue {
  public:
    bool empty() const { return size_ == 0; }
    size_t size() const { return size_; }
    T& front() { return slots_[head_]; }
    const T& front() const { return slots_[head_]; }
    T& operator[](size_t i) { return slots_[(head_ + i) & mask_]; }
    const T& operator[](size_t i) const { return slots_[(head_ + i) & mask_]; }

    void push_back(T value) {
        if (size_ == slots_.size()) grow();
        slots_[(head_ + size_) & mask_] = std::move(value);
        ++size_;
    }
    void push_front(T value) {
        if (size_ == slots_.size()) grow();
        head_ = (head_ - 1) & mask_;
        slots_[head_] = std::move(value);
        ++size_;
    }
    // Drops the front element, which the caller has moved from (or no longer needs: its
    // slot keeps what it holds until overwritten).
    void pop_front() {
        head_ = (head_ + 1) & mask_;
        --size_;
    }
    T& back() { return (*this)[size_ - 1]; }
    void pop_back() { --size_; }
    void clear() {
        for (size_t i = 0; i < size_; ++i) (*this)[i] = T{};
        head_ = size_ = 0;
    }

  private:
    void grow() {
        std::vector<T> bigger(slots_.empty() ? 16 : 2 * slots_.size());
        for (size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
        slots_.swap(bigger);
        mask_ = slots_.size() - 1;  // the size is a power of two
        head_ = 0;
    }

    std::vector<T> slots_;
    size_t mask_ = 0;
    size_t head_ = 0;
    size_t size_ = 0;
};

}  // namespace ringrun
