// SPDX-License-Identifier: BSL-1.0
// batch_runner over loopback sockets: results through the callback, downloads,
// the journal (nothing submitted twice, accepted tasks taken over), cancellation.
#include "common.hpp"
#include "../temp_dir.hpp"

#include <runninghub/batch.hpp>
#include <runninghub/batch_files.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <thread>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

rh::batch_jobs same_jobs(std::size_t n) { return rh::batch_jobs::repeat({rh::ai_app(app_id), some_inputs()}, n); }

} // namespace

BOOST_AUTO_TEST_SUITE(batch)

BOOST_AUTO_TEST_CASE(small_batch_succeeds_with_results_through_the_callback) {
    harness h;
    auto& [emu, io, c] = h;
    temp_dir dir;
    std::vector<rh::batch_result> results;
    std::size_t progress_reports = 0;
    rh::batch_options o;
    o.concurrency = 3;
    o.download_dir = dir.path / "out";  // created by the runner
    o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
    o.on_progress = [&](const rh::batch_summary&) { ++progress_reports; };
    o.progress_interval = 20ms;
    rh::batch_runner runner(c, o);
    BOOST_TEST(fs::is_directory(dir.path / "out"));
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(same_jobs(7));
        BOOST_TEST(summary.jobs == 7u);
        BOOST_TEST(summary.succeeded == 7u);
        BOOST_TEST(summary.failed == 0u);
        BOOST_TEST(summary.in_doubt == 0u);
        BOOST_TEST(summary.taken_over == 0u);
        BOOST_TEST(summary.in_flight == 0u);
        BOOST_TEST(summary.finished);
        BOOST_TEST(summary.files >= 7u);
        BOOST_TEST(summary.elapsed > rh::duration::zero());
    });
    BOOST_REQUIRE(results.size() == 7u);
    std::set<std::size_t> indices;
    std::size_t files = 0;
    for (auto& r : results) {
        indices.insert(r.index);
        BOOST_TEST(!r.ec, r.ec.message());
        BOOST_TEST((r.outcome == rh::batch_outcome::succeeded));
        BOOST_TEST((r.step == rh::batch_step::done));
        BOOST_TEST((r.t.status == rh::task_status::success));
        BOOST_TEST(!r.t.id.empty());
        BOOST_TEST(r.files.size() == r.t.results.size());
        BOOST_TEST(r.submit_latency.has_value());
        BOOST_TEST(r.latency.has_value());
        for (auto& f : r.files)
            BOOST_TEST(fs::file_size(f.path) == f.bytes);
        files += r.files.size();
    }
    BOOST_TEST(indices.size() == 7u);
    BOOST_TEST(static_cast<std::size_t>(std::distance(fs::directory_iterator(dir.path / "out"), {})) == files);
    BOOST_TEST(progress_reports >= 1u);  // at least the last one
    BOOST_TEST(emu.counters().tasks_created == 7u);
}

BOOST_AUTO_TEST_CASE(second_run_over_the_journal_submits_nothing) {
    harness h;
    auto& [emu, io, c] = h;
    temp_dir dir;
    auto file = dir.path / "journal";
    auto run_once = [&](rh::batch_summary& summary, std::vector<rh::batch_result>& results) {
        rh::batch_journal journal(file, "batch-of-5", 5);
        rh::batch_options o;
        o.concurrency = 2;
        o.journal = &journal;
        o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
        rh::batch_runner runner(c, o);
        io.restart();
        run_test(io, [&]() -> asio::awaitable<void> { summary = co_await runner.run(same_jobs(5)); });
    };
    rh::batch_summary first, second;
    std::vector<rh::batch_result> first_results, second_results;
    run_once(first, first_results);
    BOOST_TEST(first.succeeded == 5u);
    BOOST_TEST(emu.counters().tasks_created == 5u);
    auto submits = requests_to(emu, "POST /openapi/v2/run/ai-app");

    run_once(second, second_results);
    BOOST_TEST(second.succeeded == 5u);
    BOOST_TEST(second.taken_over == 5u);
    BOOST_TEST(emu.counters().tasks_created == 5u);  // nothing paid for twice
    BOOST_TEST(requests_to(emu, "POST /openapi/v2/run/ai-app") == submits);
    BOOST_REQUIRE(second_results.size() == 5u);
    std::map<std::size_t, std::string> first_ids;
    for (auto& r : first_results)
        first_ids[r.index] = r.t.id;
    for (auto& r : second_results) {
        BOOST_TEST((r.step == rh::batch_step::earlier_run));
        BOOST_TEST((r.outcome == rh::batch_outcome::succeeded));
        BOOST_TEST(r.taken_over);
        BOOST_TEST(r.t.id == first_ids.at(r.index));  // the task of the first run, from the journal
    }
}

BOOST_AUTO_TEST_CASE(an_ended_task_whose_query_fails_on_resume_is_not_reported_a_success) {
    // The journal says SUCCESS, but the results (and so the downloads) come
    // from a query: when it fails the job is left for the next run, never
    // reported "SUCCESS without results".
    harness h;
    auto& [emu, io, c] = h;
    temp_dir dir;
    auto run_once = [&](std::vector<rh::batch_result>& results) {
        rh::batch_journal journal(dir.path / "journal", "batch-of-3", 3);
        rh::batch_options o;
        o.journal = &journal;
        o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
        rh::batch_runner runner(c, o);
        io.restart();
        run_test(io, [&]() -> asio::awaitable<void> { co_await runner.run(same_jobs(3)); });
    };
    std::vector<rh::batch_result> first, failing, later;
    run_once(first);
    BOOST_TEST_REQUIRE(first.size() == 3u);
    emu.set_faults({{rh::fault_kind::http_502, 1.0, "/openapi/v2/query"}});
    run_once(failing);
    BOOST_REQUIRE(failing.size() == 3u);
    for (auto& r : failing) {
        BOOST_TEST((r.outcome == rh::batch_outcome::in_doubt));
        BOOST_TEST((r.step == rh::batch_step::wait));
        BOOST_TEST(!r.t.id.empty());
        BOOST_TEST(rh::result_status(r) == "RUNNING");  // not final: the next run takes it over again
    }
    emu.set_faults({});
    run_once(later);
    BOOST_REQUIRE(later.size() == 3u);
    for (auto& r : later) {
        BOOST_TEST((r.outcome == rh::batch_outcome::succeeded));
        BOOST_TEST(!r.t.results.empty());
    }
    BOOST_TEST(emu.counters().tasks_created == 3u);
}

BOOST_AUTO_TEST_CASE(accepted_tasks_are_taken_over_and_in_doubt_ones_reported) {
    // A "crash" left job 0 accepted and job 1 in doubt; job 2 was never submitted.
    harness h;
    auto& [emu, io, c] = h;
    temp_dir dir;
    rh::batch_journal journal(dir.path / "journal", "crashed", 3);
    std::string accepted_id;
    run_test(io, [&]() -> asio::awaitable<void> {
        BOOST_TEST(!journal.submitting(0));
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        accepted_id = t.id;
        BOOST_TEST(!journal.accepted(0, t.id));
        BOOST_TEST(!journal.submitting(1));
    });
    std::map<std::size_t, rh::batch_result> results;
    rh::batch_options o;
    o.concurrency = 3;
    o.journal = &journal;
    o.on_result = [&](const rh::batch_result& r) { results.emplace(r.index, r); };
    rh::batch_runner runner(c, o);
    io.restart();
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(same_jobs(3));
        BOOST_TEST(summary.succeeded == 2u);
        BOOST_TEST(summary.in_doubt == 1u);
        BOOST_TEST(summary.taken_over == 1u);
    });
    BOOST_REQUIRE(results.size() == 3u);
    BOOST_TEST(results.at(0).taken_over);
    BOOST_TEST(results.at(0).t.id == accepted_id);
    BOOST_TEST((results.at(0).outcome == rh::batch_outcome::succeeded));
    BOOST_TEST((results.at(1).outcome == rh::batch_outcome::in_doubt));
    BOOST_TEST((results.at(1).step == rh::batch_step::earlier_run));
    BOOST_TEST((results.at(2).outcome == rh::batch_outcome::succeeded));
    BOOST_TEST(emu.counters().tasks_created == 2u);  // the one before the crash and job 2
    BOOST_TEST(journal[0].st == rh::batch_journal::state::ended);
    BOOST_TEST(journal[1].st == rh::batch_journal::state::in_doubt);
    BOOST_TEST(journal[2].st == rh::batch_journal::state::ended);

    // The user checked that job 1 has no task and asks for it again.
    o.resubmit_in_doubt = true;
    results.clear();
    rh::batch_runner again(c, o);
    io.restart();
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await again.run(same_jobs(3));
        BOOST_TEST(summary.succeeded == 3u);
        BOOST_TEST(summary.in_doubt == 0u);
    });
    BOOST_TEST(emu.counters().tasks_created == 3u);  // job 1's, once
    BOOST_TEST(journal[1].st == rh::batch_journal::state::ended);
}

// Issue 9: a cancellation is a graceful stop. Here (cancel_accepted) the accepted
// tasks are cancelled at the service and reported with their ids.
BOOST_AUTO_TEST_CASE(cancellation_stops_taking_jobs_and_cancels_accepted_tasks) {
    harness h(fast_emulator(10s));  // tasks that outlast the test
    auto& [emu, io, c] = h;
    std::size_t reported = 0;
    rh::batch_options o;
    o.concurrency = 2;
    o.on_stop = rh::batch_stop::cancel_accepted;
    o.on_result = [&](const rh::batch_result& r) {
        ++reported;
        BOOST_TEST((r.outcome == rh::batch_outcome::failed));  // cancelled: certainly no success
        BOOST_TEST(!r.t.id.empty());
        BOOST_TEST(r.cancel_requested);
        BOOST_TEST(r.cancel_confirmed);
        BOOST_TEST((r.t.status == rh::task_status::cancel));
    };
    rh::batch_runner runner(c, o);
    asio::cancellation_signal stop;
    run_test(io, [&]() -> asio::awaitable<void> {
        stop_after(io, stop, 300ms);
        auto [ec, summary] = co_await runner.run(same_jobs(10), asio::bind_cancellation_slot(stop.slot(), tuple_token));
        BOOST_TEST(ec == asio::error::operation_aborted, ec.message());
        BOOST_TEST(summary.ended == 2u);
        BOOST_TEST(summary.failed == 2u);
        BOOST_TEST(summary.finished);
    });
    BOOST_TEST(reported == 2u);
    BOOST_TEST(emu.counters().tasks_created == 2u);  // no job taken after the stop
    BOOST_TEST(emu.counters().tasks_cancelled == 2u);
}

BOOST_AUTO_TEST_CASE(callbacks_are_serialized_when_threads_share_the_io_context) {
    harness h;
    auto& [emu, io, c] = h;
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    std::size_t results = 0;
    rh::batch_options o;
    o.concurrency = 8;
    o.on_result = [&](const rh::batch_result&) {
        if (inside++)
            overlapped = true;
        ++results;
        std::this_thread::sleep_for(1ms);
        --inside;
    };
    rh::batch_runner runner(c, o);
    std::optional<rh::batch_summary> summary;
    asio::co_spawn(io, runner.run(same_jobs(24)), [&](std::exception_ptr ep, rh::batch_summary s) {
        if (!ep)
            summary = s;
    });
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&] { io.run_for(60s); });
    for (auto& t : threads)
        t.join();
    BOOST_REQUIRE(summary.has_value());
    BOOST_TEST(summary->succeeded == 24u);
    BOOST_TEST(results == 24u);
    BOOST_TEST(!overlapped);  // every callback on the client's strand
}

BOOST_AUTO_TEST_CASE(a_journal_smaller_than_the_batch_is_refused) {
    harness h;
    auto& [emu, io, c] = h;
    temp_dir dir;
    rh::batch_journal journal(dir.path / "journal", "small", 2);
    rh::batch_options o;
    o.journal = &journal;
    rh::batch_runner runner(c, o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto [ec, summary] = co_await runner.run(same_jobs(3), tuple_token);
        BOOST_TEST(ec == rh::errc::invalid_options, ec.message());
        BOOST_TEST(summary.ended == 0u);
    });
    BOOST_TEST(emu.counters().tasks_created == 0u);
    rh::batch_options zero;
    zero.concurrency = 0;
    BOOST_CHECK_THROW(rh::batch_runner(c, zero), rh::error);
}

BOOST_AUTO_TEST_SUITE_END()
