// SPDX-License-Identifier: BSL-1.0
#include "multipart.hpp"

#include <algorithm>
#include <cctype>

namespace runninghub::detail {
namespace {

std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The value of `key=` in a header's parameters (quoted or not).
std::string param(std::string_view header, std::string_view key) {
    std::string low = lower(header);
    std::size_t pos = 0;
    while ((pos = low.find(key, pos)) != std::string::npos) {
        bool start = pos == 0 || low[pos - 1] == ';' || low[pos - 1] == ' ' || low[pos - 1] == '\t';
        std::size_t eq = pos + key.size();
        if (!start || eq >= low.size() || low[eq] != '=') {
            pos = eq;
            continue;
        }
        std::string_view v = header.substr(eq + 1);
        if (!v.empty() && v.front() == '"') {
            auto close = v.find('"', 1);
            return std::string(v.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
        }
        return std::string(trim(v.substr(0, v.find(';'))));
    }
    return {};
}

} // namespace

std::string multipart_reader::boundary_of(std::string_view content_type) {
    if (lower(content_type.substr(0, 19)) != "multipart/form-data")
        return {};
    auto b = param(content_type, "boundary");
    return b.size() > 70 ? std::string() : b;
}

multipart_reader::multipart_reader(std::string_view content_type, handlers h) : h_(std::move(h)) {
    auto b = boundary_of(content_type);
    if (b.empty()) {
        fail("no multipart/form-data boundary in the Content-Type");
        return;
    }
    delimiter_ = "\r\n--" + b;
    buf_ = "\r\n";  // so that a delimiter at the very start matches too
}

bool multipart_reader::fail(std::string why) {
    state_ = state::failed;
    error_ = std::move(why);
    return false;
}

bool multipart_reader::parse_headers(std::string_view block) {
    part_ = {};
    while (!block.empty()) {
        auto eol = block.find("\r\n");
        auto line = block.substr(0, eol);
        block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return fail("a part header line has no colon");
        auto name = lower(trim(line.substr(0, colon)));
        auto value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
            if (lower(value.substr(0, 9)) != "form-data")
                return fail("a part is not form-data");
            part_.name = param(value, "name");
            part_.filename = param(value, "filename");
        } else if (name == "content-type") {
            part_.content_type = std::string(value);
        }
    }
    if (part_.name.empty())
        return fail("a part has no name");
    return !h_.begin || h_.begin(part_) || fail("stopped");
}

bool multipart_reader::feed(const char* p, std::size_t n) {
    if (state_ == state::failed)
        return false;
    if (state_ == state::done)
        return true;  // the epilogue is ignored
    buf_.append(p, n);
    for (;;) {
        switch (state_) {
        case state::preamble: {
            auto at = buf_.find(delimiter_);
            if (at == std::string::npos) {
                if (buf_.size() > 16 * 1024)
                    return fail("no boundary in the first 16 KiB");
                return true;
            }
            buf_.erase(0, at + delimiter_.size());
            state_ = state::after_delimiter;
            break;
        }
        case state::after_delimiter:
            if (buf_.size() < 2)
                return true;
            if (buf_.compare(0, 2, "--") == 0) {
                state_ = state::done;
                buf_.clear();
                return true;
            }
            if (buf_.compare(0, 2, "\r\n") != 0)
                return fail("a boundary is not followed by CRLF");
            buf_.erase(0, 2);
            state_ = state::headers;
            break;
        case state::headers: {
            auto end = buf_.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (buf_.size() > 8 * 1024)
                    return fail("part headers longer than 8 KiB");
                return true;
            }
            if (!parse_headers(std::string_view(buf_).substr(0, end)))
                return false;
            buf_.erase(0, end + 4);
            state_ = state::body;
            break;
        }
        case state::body: {
            auto at = buf_.find(delimiter_);
            if (at == std::string::npos) {
                // Keep what could be the start of a delimiter split across chunks.
                std::size_t keep = std::min(buf_.size(), delimiter_.size() - 1);
                std::size_t emit = buf_.size() - keep;
                if (emit && h_.data && !h_.data(buf_.data(), emit))
                    return fail("stopped");
                buf_.erase(0, emit);
                return true;
            }
            if (at && h_.data && !h_.data(buf_.data(), at))
                return fail("stopped");
            if (h_.end && !h_.end())
                return fail("stopped");
            buf_.erase(0, at + delimiter_.size());
            state_ = state::after_delimiter;
            break;
        }
        case state::done: return true;
        case state::failed: return false;
        }
    }
}

} // namespace runninghub::detail
