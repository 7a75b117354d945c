// SPDX-License-Identifier: BSL-1.0
#pragma once
// Secrets out of everything the client hands back or logs: a server that
// quotes our request (an error page, an echoing proxy) must not make the
// API key appear in a diagnostic, an exception's what() or a log line.

#include <string>
#include <string_view>

namespace runninghub::detail {

/// Replaces every occurrence of `secret` and the value of every Authorization
/// or apiKey field (a header line, a JSON member, a query or form field) by "***".
/// Linear in the text; a no-op on text without them.
void scrub_secrets(std::string& text, std::string_view secret);

} // namespace runninghub::detail
