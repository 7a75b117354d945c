// SPDX-License-Identifier: BSL-1.0
#pragma once
// Why the last C file call failed, for diagnostics (upload and download).

#include <cerrno>
#include <cstring>
#include <string>

namespace runninghub::detail {

inline std::string io_reason() { return std::strerror(errno); }

} // namespace runninghub::detail
