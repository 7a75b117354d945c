// SPDX-License-Identifier: BSL-1.0
#pragma once
// How Boost.Test prints our enums in failure messages.
#include <runninghub/error.hpp>
#include <runninghub/journal.hpp>
#include <runninghub/models.hpp>

#include <ostream>

namespace runninghub {
inline std::ostream& operator<<(std::ostream& os, errc e) { return os << make_error_code(e).message(); }
inline std::ostream& operator<<(std::ostream& os, task_status s) { return os << to_string(s); }
inline std::ostream& operator<<(std::ostream& os, batch_journal::state s) { return os << to_string(s); }
} // namespace runninghub
