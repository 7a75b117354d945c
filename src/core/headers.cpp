// SPDX-License-Identifier: BSL-1.0
#include "core/headers.hpp"

#include <algorithm>
#include <string_view>

namespace runninghub::detail {
namespace {

// ASCII only: the locale must not widen what a header name may hold.
bool header_token_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

char header_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_header_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return header_lower(x) == header_lower(y); });
}

// A visible character, space or tab (RFC 9110 field-value); no other control character.
bool header_value_char(char c) { return c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f); }

// What the exchange writes itself, what frames the message, and what would change
// the answer's bytes (a compressed answer could not be read: a created task's id lost).
constexpr std::string_view written[] = {"Host", "User-Agent", "Accept", "Accept-Encoding", "Authorization",
                                        "Transfer-Encoding", "Connection", "Keep-Alive", "TE", "Trailer",
                                        "Upgrade", "Expect", "Proxy-Authorization", "Range"};

} // namespace

std::string header_lines(const std::vector<std::pair<std::string, std::string>>& fields, std::string& why) {
    std::string out;
    for (auto& [name, value] : fields) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), header_token_char)) {
            why = "call_overrides::headers: \"" + name + "\" is not a header name";
            return {};
        }
        bool content = name.size() > 8 && same_header_name(std::string_view(name).substr(0, 8), "Content-");
        for (auto w : written)
            if (content || same_header_name(name, w)) {
                why = "call_overrides::headers: " + name + " is written by the client itself";
                return {};
            }
        if (!std::all_of(value.begin(), value.end(), header_value_char)) {
            why = "call_overrides::headers: the value of " + name + " holds a control character (CR, LF …)";
            return {};
        }
        out.append(name).append(": ").append(value).append("\r\n");
    }
    return out;
}

} // namespace runninghub::detail
