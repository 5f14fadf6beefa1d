// ringrun's version string, shown by --version.
#pragma once

namespace ringrun {
inline constexpr const char* kVersion = "0.1.0";
}
