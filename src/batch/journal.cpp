#include <runninghub/journal.hpp>

#include <boost/json.hpp>

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
    // Replay what is there.
    bool has_header = false;
    {
        std::ifstream in(file_, std::ios::binary);
        std::string line;
        std::size_t lineno = 0;
        while (std::getline(in, line)) {
            ++lineno;
            error_code ec;
            auto v = json::parse(line, ec);
            auto* o = ec ? nullptr : v.if_object();
            if (!o) {
                ++ignored_;  // a torn line: the crash came in the middle of a write
                continue;
            }
            if (auto* b = o->if_contains("batch")) {
                if (!b->is_string() || b->get_string() != batch)
                    fail(errc::invalid_options, "it records another batch (" + json::serialize(*b) +
                                                    "); use a new journal file for this one");
                has_header = true;
                continue;
            }
            auto* i = o->if_contains("i");
            auto* e = o->if_contains("e");
            if (!has_header || !i || (!i->is_uint64() && !i->is_int64()) || !e || !e->is_string()) {
                ++ignored_;
                continue;
            }
            auto idx = static_cast<std::size_t>(i->to_number<std::uint64_t>());
            if (idx >= items_.size())
                fail(errc::invalid_options, "line " + std::to_string(lineno) + " names item " + std::to_string(idx) +
                                                " of a batch of " + std::to_string(items_.size()));
            auto& it = items_[idx];
            std::string_view event = e->get_string();
            if (event == "submitting" || event == "unknown") {
                it.st = state::in_doubt;
            } else if (event == "accepted") {
                it.st = state::accepted;
                if (auto* t = o->if_contains("task"); t && t->is_string())
                    it.task_id = t->get_string();
            } else if (event == "ended") {
                it.st = state::ended;
                if (auto* s = o->if_contains("status"); s && s->is_string())
                    it.status = s->get_string();
            } else if (event == "downloaded") {
                auto* f = o->if_contains("file");
                auto* b = o->if_contains("bytes");
                if (f && (f->is_int64() || f->is_uint64()) && b && (b->is_int64() || b->is_uint64()))
                    it.downloaded[f->to_number<std::size_t>()] = b->to_number<std::uint64_t>();
            } else if (event == "not_created") {
                it.st = state::pending;
            } else {
                ++ignored_;
            }
        }
    }
    // A torn last line gets its line break, so that the next event starts a line of its own.
    if (off_t end = ::lseek(fd_, 0, SEEK_END); end > 0) {
        char last = 0;
        if (::pread(fd_, &last, 1, end - 1) == 1 && last != '\n' && ::write(fd_, "\n", 1) != 1)
            fail(errc::file_error, std::strerror(errno));
    }
    if (!has_header) {
        auto line = json::serialize(json::object{{"batch", batch}}) + "\n";
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
    if (auto ec = write_line(json::serialize(o) + "\n"))
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
    auto line = json::serialize(json::object{{"i", i}, {"e", "downloaded"}, {"file", file}, {"bytes", bytes}}) + "\n";
    if (auto ec = write_line(line))
        return ec;
    it.downloaded[file] = bytes;
    return {};
}

} // namespace runninghub
