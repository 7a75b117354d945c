// SPDX-License-Identifier: BSL-1.0
#pragma once
// The emulated service's state: keys, tasks (their status computed from
// timestamps, never stepped), stored files and the counters, under one mutex.

#include <runninghub/emulator.hpp>
#include <runninghub/models.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace runninghub::emu {

namespace json = boost::json;

struct emu_task {
    std::string key;
    time_point created;
    bool fail = false;
    bool cancelled = false;
    std::string webhook_url;
    submitted_request request;  // the submit as received, without the key (emulator::submitted)
    result_kind kind = result_kind::file;
    // The webhook delivery record (getWebhookDetail).
    std::string webhook_id;
    std::string callback_status;  // PENDING, RETRYING, SUCCESS, FAILED
    std::string callback_response;
    unsigned retry_count = 0;
    std::string webhook_created, webhook_updated;
};

struct stored_file {
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::string md5;
};

bool listed(const std::vector<std::string>& list, std::string_view v);
/// UTC wall time as the service prints it: 2024-05-01T12:00:00.
std::string wall_time();
/// The status as the service spells it.
const char* status_text(task_status s);
/// A key shown masked: its first and last four characters.
std::string masked(const std::string& key);

class state {
public:
    explicit state(emulator_options o);
    state(const state&) = delete;
    state& operator=(const state&) = delete;

    const emulator_options opts;
    std::string base;            // this emulator's URL; set before serving starts
    std::filesystem::path dir;   // stored uploads; set before serving starts

    /// The one mutex. The members and functions below need it held.
    [[nodiscard]] std::unique_lock<std::mutex> lock() const { return std::unique_lock(mu_); }

    emulator_counters stats;
    std::unordered_map<std::string, emu_task> tasks;
    std::unordered_map<std::string, stored_file> files;  // uploads by stored name

    /// A uniform draw in [0, 1): faults, failures, webhook loss and duplicates share one seeded stream.
    double draw();
    /// Ids beyond 2^53: they must stay strings.
    std::string next_id() { return std::to_string(next_id_++); }

    bool known_key(std::string_view key) const { return listed(opts.api_keys, key); }
    /// "Bearer <key>" with a known key; `key` is set either way.
    bool bearer_key(std::string_view authorization, std::string& key) const;

    // Tasks.
    task_status status_at(const emu_task& t, time_point now) const;
    time_point end_of(const emu_task& t) const { return t.created + opts.queue_time + opts.run_time; }
    json::array results_json(const std::string& id, const emu_task& t) const;
    json::object task_json(const std::string& id, const emu_task& t, time_point now) const;
    /// A new task as its submit answers it: QUEUED or RUNNING, nothing else yet.
    json::object accepted_json(const std::string& id, time_point now) const;
    static json::object failed_reason();
    /// Creates a task of app, workflow or model `of`; instant ones have ended already.
    std::string create_task(const std::string& key, const std::string& of, std::string webhook_url, time_point now,
                            bool instant = false);
    /// A task created FAILED at once (its workflow did not validate).
    std::string create_failed_task(const std::string& key, time_point now);
    void cancel(emu_task& t);
    /// The task `id` when it belongs to `key`.
    emu_task* find_task(const std::string& id, const std::string& key);
    std::size_t active_tasks(const std::string& key, time_point now);
    /// True (and counted) when `key` is at its concurrency limit.
    bool over_limit(const std::string& key, time_point now);
    /// Where result files are served: another emulator acting as the CDN, or this one.
    const std::string& files_base() const { return opts.result_base_url.empty() ? base : opts.result_base_url; }

    /// A request being answered: counted by endpoint, in progress until the guard goes.
    class in_progress {
    public:
        explicit in_progress(state& st) : st_(&st) {}
        in_progress(in_progress&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
        in_progress& operator=(in_progress&&) = delete;
        ~in_progress();

    private:
        state* st_;
    };
    /// Takes the lock itself.
    [[nodiscard]] in_progress begin_request(std::string_view method, std::string_view target);

private:
    mutable std::mutex mu_;
    std::mt19937_64 rng_;
    std::unordered_map<std::string, std::multiset<time_point>> active_;  // end times of active tasks, per key
    std::uint64_t next_id_ = 1900000000000000001ull;
};

} // namespace runninghub::emu
