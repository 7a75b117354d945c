// SPDX-License-Identifier: BSL-1.0
#include <runninghub/journal.hpp>

#include <boost/crc.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <iterator>
#include <optional>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/file.h>
#include <unistd.h>

namespace json = boost::json;

namespace runninghub {

std::string_view to_string(batch_journal::state s) noexcept {
    switch (s) {
    case batch_journal::state::pending: return "pending";
    case batch_journal::state::in_doubt: return "in doubt";
    case batch_journal::state::accepted: return "accepted";
    case batch_journal::state::ended: return "ended";
    }
    return "unknown";
}

namespace {

// Each line is "<JSON object>\t<CRC-32 of the JSON, 8 hex digits>": one
// flipped byte anywhere is caught (a JSON serialization never holds a raw tab).
std::string checksum(std::string_view text) {
    boost::crc_32_type crc;
    crc.process_bytes(text.data(), text.size());
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc.checksum()));
    return hex;
}

std::string sealed(const json::object& o) {
    auto text = json::serialize(o);
    auto sum = checksum(text);
    text += '\t';
    text += sum;
    text += '\n';
    return text;
}

/// The line's object, or why it is not a journal line.
const char* open_line(std::string_view line, json::value& v) {
    auto tab = line.rfind('\t');
    if (tab == std::string_view::npos)
        return "it has no checksum";
    auto text = line.substr(0, tab);
    if (line.substr(tab + 1) != checksum(text))
        return "its checksum does not match";
    error_code ec;
    v = json::parse(text, ec);
    if (ec || !v.is_object())
        return "it is not a JSON object";
    return nullptr;
}

/// A non-negative integer field, or nullopt.
std::optional<std::uint64_t> count_field(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (v && v->is_uint64())
        return v->get_uint64();
    if (v && v->is_int64() && v->get_int64() >= 0)
        return static_cast<std::uint64_t>(v->get_int64());
    return std::nullopt;
}

std::string string_field(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

} // namespace

batch_journal::batch_journal(std::filesystem::path file, std::string batch, std::size_t count)
    : file_(std::move(file)), items_(count) {
    auto fail = [&](errc e, const std::string& why) {
        if (fd_ >= 0)
            ::close(fd_);  // (a constructor that throws runs no destructor)
        throw error(make_error_code(e), "journal \"" + file_.string() + "\": " + why);
    };
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0)
        fail(errc::file_error, std::strerror(errno));
    // One run at a time: two processes replaying the same journal would both submit every job.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
        fail(errc::invalid_options, errno == EWOULDBLOCK ? "another run is using it (the file is locked)"
                                                         : std::string(std::strerror(errno)));
    std::string text;
    {
        std::ifstream in(file_, std::ios::binary);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    bool has_header = false;
    std::size_t pos = 0, lineno = 0;
    auto damaged = [&](const std::string& why) {
        fail(errc::file_error, "line " + std::to_string(lineno) + " " + why +
                                   ". The journal cannot be trusted, so nothing was submitted: look at the line "
                                   "(a job it names may have created a task), repair or delete it, and run again");
    };
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        ++lineno;
        std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
        if (nl == std::string::npos) {
            // No line break at the end: either a torn write (the crash came in the middle
            // of it, so its event never returned and nothing was sent after it: it goes),
            // or a whole line whose line break was lost or damaged (it counts).
            auto tab = line.rfind('\t');
            if (tab == std::string_view::npos || line.size() - tab - 1 < 8) {
                // Only a journal's own line may go: a file that is not one (no header
                // yet, and the text is not the start of this batch's header) is refused.
                if (!has_header && !sealed(json::object{{"batch", batch}}).starts_with(line))
                    damaged("is not a journal line (is this file a journal?)");
                if (::ftruncate(fd_, static_cast<off_t>(pos)) != 0)
                    fail(errc::file_error, std::strerror(errno));
                ++ignored_;
                break;
            }
            line = line.substr(0, tab + 9);
            json::value whole;
            if (!open_line(line, whole) &&
                (::ftruncate(fd_, static_cast<off_t>(pos + line.size())) != 0 || ::write(fd_, "\n", 1) != 1))
                fail(errc::file_error, std::strerror(errno));
        }
        pos = nl == std::string::npos ? text.size() : nl + 1;
        json::value v;
        if (auto why = open_line(line, v))
            damaged(std::string("is damaged (") + why + ")");
        auto& o = v.get_object();
        if (!has_header) {
            auto* b = o.if_contains("batch");
            if (!b || !b->is_string())
                damaged("should name the batch (the journal's first line) and does not");
            if (b->get_string() != batch)
                fail(errc::invalid_options, "it records another batch (" + json::serialize(*b) +
                                                "); use a new journal file for this one");
            has_header = true;
            continue;
        }
        auto idx = count_field(o, "i");
        auto event = string_field(o, "e");
        if (!idx || event.empty())
            damaged("is not a journal event (it needs an item index \"i\" and an event \"e\")");
        if (*idx >= items_.size())
            fail(errc::invalid_options, "line " + std::to_string(lineno) + " names item " + std::to_string(*idx) +
                                            " of a batch of " + std::to_string(items_.size()));
        auto& it = items_[*idx];
        if (event == "submitting" || event == "unknown") {
            it.st = state::in_doubt;
        } else if (event == "accepted") {
            it.st = state::accepted;
            it.task_id = string_field(o, "task");
            if (it.task_id.empty())
                damaged("records an accepted task without its task id");
        } else if (event == "ended") {
            it.st = state::ended;
            it.status = string_field(o, "status");
        } else if (event == "downloaded") {
            auto f = count_field(o, "file");
            auto b = count_field(o, "bytes");
            if (!f || !b)
                damaged("records a download without its file index and size");
            it.downloaded[static_cast<std::size_t>(*f)] = *b;
        } else if (event == "not_created") {
            it.st = state::pending;
        } else {
            damaged("records an unknown event \"" + event.substr(0, 40) + "\"");
        }
    }
    if (!has_header) {
        auto line = sealed(json::object{{"batch", batch}});
        if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fdatasync(fd_) != 0) {
            fail(errc::file_error, std::strerror(errno));
        }
    }
}

batch_journal::~batch_journal() {
    if (fd_ >= 0)
        ::close(fd_);
}

error_code batch_journal::write_line(const std::string& line) {
    // One write of one line: O_APPEND keeps lines whole between writers; fdatasync makes it durable.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fdatasync(fd_) != 0)
        return make_error_code(errc::file_error);
    return {};
}

error_code batch_journal::append(std::size_t i, std::string_view event, state to, std::string_view key,
                                 std::string_view value) {
    auto& it = items_.at(i);
    json::object o{{"i", i}, {"e", event}};
    if (!key.empty())
        o[key] = value;
    if (auto ec = write_line(sealed(o)))
        return ec;
    it.st = to;
    if (key == "task")
        it.task_id = value;
    else if (key == "status")
        it.status = value;
    return {};
}

error_code batch_journal::submitting(std::size_t i) { return append(i, "submitting", state::in_doubt); }
error_code batch_journal::accepted(std::size_t i, std::string_view task_id) {
    return append(i, "accepted", state::accepted, "task", task_id);
}
error_code batch_journal::ended(std::size_t i, std::string_view status) {
    return append(i, "ended", state::ended, "status", status);
}
error_code batch_journal::not_created(std::size_t i) { return append(i, "not_created", state::pending); }
error_code batch_journal::unknown(std::size_t i) { return append(i, "unknown", state::in_doubt); }

error_code batch_journal::downloaded(std::size_t i, std::size_t file, std::uint64_t bytes) {
    auto& it = items_.at(i);
    auto line = sealed(json::object{{"i", i}, {"e", "downloaded"}, {"file", file}, {"bytes", bytes}});
    if (auto ec = write_line(line))
        return ec;
    it.downloaded[file] = bytes;
    return {};
}

} // namespace runninghub
