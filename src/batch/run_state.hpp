// SPDX-License-Identifier: BSL-1.0
#pragma once
// The state one batch run shares between its workers (all on the client's strand).

#include <runninghub/batch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <memory>

namespace runninghub::batch_detail {

namespace asio = boost::asio;
constexpr auto tuple = asio::as_tuple(asio::use_awaitable);

/// One upload of a run, shared by every job that names the file.
struct upload_entry {
    explicit upload_entry(asio::any_io_executor ex) : ready(ex, asio::steady_timer::time_point::max()) {}
    bool done = false;
    error_code ec;
    uploaded_file up;
    asio::steady_timer ready;  // a condition variable: cancelled when done
};

/// What a worker is doing: a stop cancels some steps and lets others finish.
enum class phase { idle, room, upload, submit, adopt, wait, query, download, cancel };

struct worker {
    asio::cancellation_signal signal;
    phase now = phase::idle;
};

struct run_state {
    run_state(client& cl, batch_options o, batch_jobs j);
    client& c;
    batch_options opts;
    batch_jobs jobs;
    batch_summary counts;
    time_point start = clock::now();
    std::size_t next = 0;     // the next job to take
    std::size_t taken = 0;    // jobs taken and not skipped
    std::size_t workers = 0;  // still running
    std::size_t entering = 0; // past the room, not yet counted by the client's gate
    int stops = 0;            // 0 running, 1 graceful stop, 2 stop at once
    bool finished = false;
    std::vector<std::unique_ptr<worker>> pool;
    std::map<std::filesystem::path, std::shared_ptr<upload_entry>> uploads;
    asio::steady_timer joined;  // a condition variable: cancelled when the last worker ends
    asio::steady_timer ticker;
    double coins = 0;
    std::deque<asio::steady_timer*> room_queue;  // jobs waiting for room; the first one polls
    // batch_options::webhook: each job's callback URL carries ref_prefix + "-" + its index.
    std::string ref_prefix;
    std::uint64_t subscription = 0;
    std::set<std::size_t> listening;                          // jobs whose submit answer is out or lost
    std::map<std::size_t, std::string> event_ids;            // task ids their events named
    std::map<std::size_t, asio::steady_timer*> adopting;     // jobs waiting for such an event

    std::string ref(std::size_t index) const { return ref_prefix + "-" + std::to_string(index); }
    /// A TASK_END event sent to this run's job's URL (on the client's executor).
    void on_event(const webhook_event& e);

    bool stopping() const noexcept { return stops > 0; }
    std::size_t in_phase(phase p) const;
    batch_summary snapshot() const;
};
using state_ptr = std::shared_ptr<run_state>;

/// Job i from start to end; the worker's phase follows its steps. Nothing
/// when a stop came before its submit went out (a resumed run submits it).
asio::awaitable<std::optional<batch_result>> run_job(state_ptr s, worker& w, std::size_t i);

/// A fresh reference for one run (12 characters of [0-9a-z]), the prefix of its jobs' callback references.
std::string new_ref_prefix();

enum class room_answer { yes, stopping, deadline };
/// Until the client's submit gate has room for one more submit of this run, so
/// that a stop never leaves submissions queued inside the client.
asio::awaitable<room_answer> wait_for_room(state_ptr s, worker& w, time_point deadline);

} // namespace runninghub::batch_detail
