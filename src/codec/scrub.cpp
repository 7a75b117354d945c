// SPDX-License-Identifier: BSL-1.0
#include "codec/scrub.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace runninghub::detail {
namespace {

constexpr std::string_view mask = "***";

// Field names whose value is a credential, lower case.
constexpr std::array<std::string_view, 4> secret_fields = {"authorization", "apikey", "api_key", "api-key"};

// ASCII only, without the locale: this runs over every answer body.
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequal_at(std::string_view text, std::size_t at, std::string_view name) {
    if (text.size() - at < name.size())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (lower(text[at + i]) != name[i])
            return false;
    return true;
}

bool is_quote(char c) { return c == '"' || c == '\'' || c == '\\'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
// Ends an unquoted value: a line, a query or form field, markup, a JSON member.
// Quotes end it too: a quoted text around the field (a JSON string) stays whole.
bool ends_value(char c) {
    return c == '\r' || c == '\n' || c == '&' || c == '<' || c == ',' || c == '}' || c == ';' || is_quote(c);
}

// The value after a field name at `at` (name, optional quotes, ':' or '=', the
// value quoted or not): its [begin, end), or begin == end when there is none.
std::pair<std::size_t, std::size_t> value_after(std::string_view t, std::size_t at) {
    std::size_t i = at;
    while (i < t.size() && (is_quote(t[i]) || is_blank(t[i])))
        ++i;
    if (i == t.size() || (t[i] != ':' && t[i] != '='))
        return {i, i};
    bool colon = t[i] == ':';
    ++i;
    while (i < t.size() && is_blank(t[i]))
        ++i;
    bool quoted = false;
    while (i < t.size() && is_quote(t[i])) {
        quoted = true;
        ++i;
    }
    std::size_t b = i;
    // After a colon, an unquoted JSON value (null, true, false, a number, an
    // object or array) is structure, not a credential: masking it would break the JSON.
    if (!quoted && colon && b < t.size() &&
        (t[b] == '{' || t[b] == '[' || t[b] == '-' || (t[b] >= '0' && t[b] <= '9') || t.substr(b, 4) == "null" ||
         t.substr(b, 4) == "true" || t.substr(b, 5) == "false"))
        return {b, b};
    while (i < t.size() && !(quoted ? is_quote(t[i]) || t[i] == '\r' || t[i] == '\n' : ends_value(t[i])))
        ++i;
    std::size_t e = i;
    while (!quoted && e > b && is_blank(t[e - 1]))
        --e;
    return {b, e};
}

// The next `c` at or after `from`, or npos.
std::size_t next_of(const std::string& text, char c, std::size_t from) {
    if (from >= text.size())
        return std::string::npos;
    auto* p = static_cast<const char*>(std::memchr(text.data() + from, c, text.size() - from));
    return p ? static_cast<std::size_t>(p - text.data()) : std::string::npos;
}

// Whether it masked anything.
bool scrub_fields(std::string& text) {
    bool masked = false;
    // Every name starts with an a: memchr finds the candidates (a byte loop over
    // every answer cost ~3k instructions per request, issue 12). `lo`/`up`:
    // the next 'a'/'A', found again once passed or after a replacement.
    std::size_t lo = 0, up = 0;
    bool stale = true;
    for (std::size_t i = 0;;) {
        if (stale || lo < i)
            lo = next_of(text, 'a', i);
        if (stale || up < i)
            up = next_of(text, 'A', i);
        stale = false;
        i = std::min(lo, up);
        if (i == std::string::npos)
            return masked;
        std::size_t step = 1;
        for (auto name : secret_fields) {
            if (!iequal_at(text, i, name))
                continue;
            auto [b, e] = value_after(text, i + name.size());
            if (e > b && std::string_view(text).substr(b, e - b) != mask) {
                text.replace(b, e - b, mask);
                stale = masked = true;
            }
            step = name.size();
            break;
        }
        i += step;
    }
}

// Whether it masked anything.
bool scrub_key(std::string& text, std::string_view secret) {
    // memmem (two-way): std::string::find stops at every '0' of the ids for a key that starts with one.
    // A "key" of a few characters would match inside task ids and break answers;
    // real keys are 32 characters (the named fields are masked whatever their length).
    if (secret.size() < 8)
        return false;
    bool masked = false;
    std::size_t from = 0;
    while (from < text.size()) {
        auto* hit = static_cast<const char*>(
            ::memmem(text.data() + from, text.size() - from, secret.data(), secret.size()));
        if (!hit)
            break;
        auto p = static_cast<std::size_t>(hit - text.data());
        text.replace(p, secret.size(), mask);
        masked = true;
        // The mask and what is around it may spell the key again (a key with '*' in it):
        // searched again from the first place such a match could start. Each round
        // shortens the text, so it ends.
        from = p + 1 > secret.size() ? p + 1 - secret.size() : 0;
    }
    return masked;
}

} // namespace

void scrub_secrets(std::string& text, std::string_view secret) {
    scrub_key(text, secret);
    // A masked field's value brings its neighbours together, and so does a masked key:
    // again until neither finds anything (rarely a second round; each round shortens
    // the text, the bound is for hostile text). The key's search always comes last.
    for (int round = 0; round < 16 && scrub_fields(text) && scrub_key(text, secret); ++round) {
    }
}

} // namespace runninghub::detail
