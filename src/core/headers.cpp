#include "core/headers.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace runninghub::detail {
namespace {

bool token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// What the exchange writes itself, and what frames the message.
constexpr std::string_view written[] = {"Host", "User-Agent", "Accept", "Authorization", "Content-Type",
                                        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "TE",
                                        "Trailer", "Upgrade", "Expect", "Proxy-Authorization", "Range"};

} // namespace

std::string header_lines(const std::vector<std::pair<std::string, std::string>>& fields, std::string& why) {
    std::string out;
    for (auto& [name, value] : fields) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), token_char)) {
            why = "call_overrides::headers: \"" + name + "\" is not a header name";
            return {};
        }
        for (auto w : written)
            if (same_name(name, w)) {
                why = "call_overrides::headers: " + std::string(w) + " is written by the client itself";
                return {};
            }
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
            why = "call_overrides::headers: the value of " + name + " holds CR, LF or NUL";
            return {};
        }
        out.append(name).append(": ").append(value).append("\r\n");
    }
    return out;
}

} // namespace runninghub::detail
