// SPDX-License-Identifier: BSL-1.0
#pragma once
// A call's own header fields (call_overrides::headers) as the lines of a
// request head: checked, so that a field can neither replace one the client
// writes nor smuggle a second header or request.

#include <string>
#include <utility>
#include <vector>

namespace runninghub::detail {

/// "Name: value\r\n" for each field; empty and `why` set when one is refused:
/// a name that is not an HTTP token or that the client writes itself (Host,
/// Authorization, any Content-*, Accept-Encoding …), or a value holding a
/// control character other than tab.
std::string header_lines(const std::vector<std::pair<std::string, std::string>>& fields, std::string& why);

} // namespace runninghub::detail
