// SPDX-License-Identifier: BSL-1.0
#include "state.hpp"

#include <algorithm>
#include <ctime>

namespace runninghub {

std::uint64_t emulator_counters::total_requests() const {
    std::uint64_t n = 0;
    for (auto& [k, v] : requests)
        n += v;
    return n;
}

namespace emu {
namespace {

// Counted by endpoint: submits by kind, files and storage without their names.
std::string endpoint_of(std::string_view method, std::string_view t) {
    t = t.substr(0, t.find('?'));
    for (std::string_view prefix : {"/openapi/v2/run/ai-app/", "/openapi/v2/run/workflow/", "/files/", "/cos/"})
        if (t.starts_with(prefix))
            t = prefix.substr(0, prefix.size() - 1);
    return std::string(method) + " " + std::string(t);
}

} // namespace

// Spelled here, not taken from the client: the oracle says what the service says.
const char* status_text(task_status s) {
    switch (s) {
    case task_status::queued: return "QUEUED";
    case task_status::running: return "RUNNING";
    case task_status::success: return "SUCCESS";
    case task_status::failed: return "FAILED";
    case task_status::cancel: return "CANCEL";
    default: return "CREATE";
    }
}

bool listed(const std::vector<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

std::string wall_time() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

std::string masked(const std::string& key) { return key.substr(0, 4) + "****" + key.substr(key.size() - 4); }

state::state(emulator_options o) : opts(std::move(o)), rng_(opts.seed) {}

double state::draw() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

bool state::bearer_key(std::string_view authorization, std::string& key) const {
    if (!authorization.starts_with("Bearer "))
        return false;
    key = std::string(authorization.substr(7));
    return known_key(key);
}

task_status state::status_at(const emu_task& t, time_point now) const {
    if (t.cancelled)
        return task_status::cancel;
    if (now < t.created + opts.queue_time)
        return task_status::queued;
    if (now < end_of(t))
        return task_status::running;
    return t.fail ? task_status::failed : task_status::success;
}

json::array state::results_json(const std::string& id, const emu_task& t) const {
    switch (t.kind) {
    case result_kind::none: return {};
    case result_kind::text:
        return {json::object{{"url", nullptr}, {"outputType", "txt"}, {"nodeId", "9"},
                             {"text", "a caption for task " + id}}};
    case result_kind::file: break;
    }
    return {json::object{{"url", files_base() + "/files/" + id + "/output.png"},
                         {"outputType", "png"},
                         {"nodeId", "9"},
                         {"text", nullptr}}};
}

json::object state::task_json(const std::string& id, const emu_task& t, time_point now) const {
    auto st = status_at(t, now);
    json::object o{{"taskId", id},
                   {"status", status_text(st)},
                   {"errorCode", ""},
                   {"errorMessage", ""},
                   {"results", nullptr},
                   {"clientId", "emulator"},
                   {"promptTips", R"({"result": true, "error": null, "outputs_to_execute": ["9"], "node_errors": {}})"},
                   {"failedReason", json::object{}}};
    if (st == task_status::success) {
        auto cost = std::chrono::duration_cast<std::chrono::seconds>(opts.run_time).count();
        o["results"] = results_json(id, t);
        o["usage"] = json::object{{"consumeMoney", nullptr},
                                  {"consumeCoins", "10"},
                                  {"taskCostTime", std::to_string(cost)},
                                  {"thirdPartyConsumeMoney", nullptr}};
    } else if (st == task_status::failed) {
        o["errorCode"] = "1000";
        o["errorMessage"] = "unknown error";
        o["failedReason"] = failed_reason();
    }
    return o;
}

json::object state::accepted_json(const std::string& id, time_point now) const {
    auto o = task_json(id, tasks.at(id), now);
    o["results"] = nullptr;
    o["failedReason"] = nullptr;
    o["errorCode"] = "";
    o["errorMessage"] = "";
    if (o["status"].as_string() != "QUEUED")
        o["status"] = "RUNNING";
    return o;
}

json::object state::failed_reason() {
    // The traceback as the JSON text of ComfyUI's list of lines, the way the service sends it.
    return {{"node_id", "9"},
            {"node_name", "SaveImage"},
            {"exception_type", "RuntimeError"},
            {"exception_message", "emulated failure"},
            {"traceback", R"(["  File \"/comfyui/execution.py\", line 151, in recursive_execute\n", )"
                          R"("    raise RuntimeError(\"emulated failure\")\n"])"}};
}

std::string state::create_task(const std::string& key, const std::string& of, std::string webhook_url,
                               time_point now, bool instant) {
    std::string id = next_id();
    emu_task t;
    t.key = key;
    t.created = now;
    t.fail = draw() < opts.failure_rate;
    if (auto k = opts.result_kinds.find(of); k != opts.result_kinds.end())
        t.kind = k->second;
    if (instant) {
        t.created = now - opts.queue_time - opts.run_time;
        t.fail = false;
    }
    if (!webhook_url.empty()) {
        t.webhook_url = std::move(webhook_url);
        t.webhook_id = next_id();
        t.callback_status = "PENDING";
        t.webhook_created = t.webhook_updated = wall_time();
    }
    if (!instant)
        active_[key].insert(end_of(t));
    ++stats.tasks_created;
    tasks.emplace(id, std::move(t));
    return id;
}

std::string state::create_failed_task(const std::string& key, time_point now) {
    std::string id = next_id();
    emu_task t;
    t.key = key;
    t.created = now - opts.queue_time - opts.run_time;
    t.fail = true;
    tasks.emplace(id, std::move(t));
    ++stats.tasks_created;
    return id;
}

void state::cancel(emu_task& t) {
    t.cancelled = true;
    auto& q = active_[t.key];
    if (auto e = q.find(end_of(t)); e != q.end())
        q.erase(e);
    ++stats.tasks_cancelled;
}

emu_task* state::find_task(const std::string& id, const std::string& key) {
    auto it = tasks.find(id);
    return it == tasks.end() || it->second.key != key ? nullptr : &it->second;
}

std::size_t state::active_tasks(const std::string& key, time_point now) {
    auto& q = active_[key];
    q.erase(q.begin(), q.upper_bound(now));
    return q.size();
}

bool state::over_limit(const std::string& key, time_point now) {
    if (opts.concurrency_limit && active_tasks(key, now) >= opts.concurrency_limit) {
        ++stats.rejected_concurrency;
        return true;
    }
    return false;
}

state::in_progress state::begin_request(std::string_view method, std::string_view target) {
    auto lk = lock();
    ++stats.in_progress;
    ++stats.requests[endpoint_of(method, target)];
    return in_progress(*this);
}

state::in_progress::~in_progress() {
    if (!st_)
        return;
    auto lk = st_->lock();
    --st_->stats.in_progress;
}

} // namespace emu
} // namespace runninghub
