// SPDX-License-Identifier: BSL-1.0
#include "core/salvage.hpp"

namespace runninghub::detail {

std::string salvage_task_id(std::string_view body) {
    constexpr std::string_view key = "\"taskId\"";
    std::string found;
    for (auto at = body.find(key); at != std::string_view::npos; at = body.find(key, at + key.size())) {
        auto p = at + key.size();
        auto skip_blanks = [&] {
            while (p < body.size() && (body[p] == ' ' || body[p] == '\t' || body[p] == '\r' || body[p] == '\n'))
                ++p;
        };
        skip_blanks();
        if (p >= body.size() || body[p] != ':')
            continue;
        ++p;
        skip_blanks();
        bool quoted = p < body.size() && body[p] == '"';
        p += quoted;
        auto start = p;
        while (p < body.size() && body[p] >= '0' && body[p] <= '9')
            ++p;
        auto digits = body.substr(start, p - start);
        // The id must end where the value does: a truncated body proves nothing.
        bool ends = p < body.size() && (quoted ? body[p] == '"' : (body[p] == ',' || body[p] == '}' || body[p] == ' '));
        if (digits.empty() || digits.size() > 32 || !ends)
            continue;
        if (!found.empty() && found != digits)
            return {};  // two different ids: none can be trusted
        found = digits;
    }
    return found;
}

} // namespace runninghub::detail
