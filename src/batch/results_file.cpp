// SPDX-License-Identifier: BSL-1.0
// Results files: one JSON line per job as it ends, durable, read back on resume.
#include <runninghub/batch_files.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace json = boost::json;

namespace runninghub {
namespace {

json::value opt(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object usage_of(const task_usage& u) {
    return {{"consumeCoins", opt(u.consume_coins)},
            {"consumeMoney", opt(u.consume_money)},
            {"taskCostTime", opt(u.task_cost_time)},
            {"thirdPartyConsumeMoney", opt(u.third_party_consume_money)}};
}

json::array results_of(const batch_result& r) {
    json::array out;
    for (std::size_t k = 0; k < r.t.results.size(); ++k) {
        auto& f = r.t.results[k];
        bool saved = k < r.files.size() && !r.files[k].path.empty();
        out.push_back(json::object{{"nodeId", f.node_id},
                                   {"outputType", f.output_type},
                                   {"url", f.url},
                                   {"text", opt(f.text)},
                                   {"path", saved ? json::value(r.files[k].path.string()) : json::value(nullptr)}});
    }
    return out;
}

json::value error_of(const batch_result& r) {
    if (r.outcome == batch_outcome::succeeded && !r.ec)
        return nullptr;
    std::string code = !r.t.error_code.empty() ? r.t.error_code
                       : r.ec.category() == category() ? std::to_string(r.ec.value())
                                                       : std::string(r.ec.category().name()) + ":" +
                                                             std::to_string(r.ec.value());
    std::string message = r.ec ? r.ec.message() : "";
    if (!r.t.error_message.empty())
        message += (message.empty() ? "" : ": ") + r.t.error_message;
    if (auto more = r.t.diag.to_string(); !more.empty())
        message += " [" + more + "]";
    if (r.step != batch_step::done)
        message = std::string(to_string(r.step)) + ": " + message;
    return json::object{{"code", code}, {"message", message}, {"failedReason", r.t.failed_reason.raw}};
}

} // namespace

std::string result_status(const batch_result& r) {
    if (r.t.id.empty())
        return r.outcome == batch_outcome::in_doubt ? "UNKNOWN" : "NOT_CREATED";
    if (r.t.status == task_status::unknown || r.t.status == task_status::create)
        return "RUNNING";  // accepted, its end not seen: a resumed batch takes it over
    return std::string(to_string(r.t.status));
}

std::string result_line(const batch_result& r) {
    json::object o{{"id", r.job_id},
                   {"taskId", r.t.id.empty() ? json::value(nullptr) : json::value(r.t.id)},
                   {"status", result_status(r)},
                   {"results", results_of(r)},
                   {"usage", usage_of(r.t.usage)},
                   {"error", error_of(r)}};
    return json::serialize(o);
}

results_file::results_file(std::filesystem::path file) : file_(std::move(file)) {
    {
        std::ifstream in(file_, std::ios::binary);
        for (std::string line; std::getline(in, line);) {
            error_code ec;
            auto v = json::parse(line, ec);
            auto* o = ec ? nullptr : v.if_object();
            auto* id = o ? o->if_contains("id") : nullptr;
            auto* st = o ? o->if_contains("status") : nullptr;
            if (id && id->is_string() && st && st->is_string())  // else a torn line: ignored
                known_[std::string(id->get_string())] = st->get_string();
        }
    }
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw error(make_error_code(errc::file_error), "results file \"" + file_.string() + "\": " + std::strerror(errno));
    // A torn last line gets its line break, so that the next line starts clean.
    if (off_t end = ::lseek(fd_, 0, SEEK_END); end > 0) {
        char last = 0;
        if (::pread(fd_, &last, 1, end - 1) == 1 && last != '\n' && ::write(fd_, "\n", 1) != 1) {
            ::close(fd_);
            throw error(make_error_code(errc::file_error), "results file \"" + file_.string() + "\": " + std::strerror(errno));
        }
    }
}

results_file::~results_file() {
    if (fd_ >= 0)
        ::close(fd_);
}

bool results_file::has_final(const std::string& job_id) const {
    auto it = known_.find(job_id);
    return it != known_.end() && it->second != "RUNNING" && it->second != "QUEUED" && it->second != "CREATE";
}

error_code results_file::append(const batch_result& r) {
    auto line = result_line(r) + "\n";
    // One write per line (O_APPEND), durable before the next job is reported.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fdatasync(fd_) != 0)
        return make_error_code(errc::file_error);
    known_[r.job_id] = result_status(r);
    return {};
}

} // namespace runninghub
