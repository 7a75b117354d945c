// SPDX-License-Identifier: BSL-1.0
// batch_runner for real work (issue 9): distinct jobs with files and models,
// back-pressure, the graceful stop, resume with downloads after a stop.
#include "common.hpp"
#include "../temp_dir.hpp"

#include <runninghub/batch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

/// n jobs of the app, each with its own prompt.
rh::batch_jobs distinct_jobs(std::size_t n) {
    std::vector<rh::batch_job> jobs;
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<rh::node_input> in{{"9", "text", ("prompt " + std::to_string(i)).c_str()}};
        jobs.emplace_back(rh::ai_app(app_id), std::move(in));
        jobs.back().id = "job-" + std::to_string(i);
    }
    return rh::batch_jobs::of(std::move(jobs));
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch)

BOOST_AUTO_TEST_CASE(jobs_with_files_and_a_model_upload_each_file_once) {
    harness h;
    auto& [emu, io, c] = h;
    temp_dir dir;
    auto picture = dir.path / "cat.png";
    std::ofstream(picture) << std::string(3000, 'x');
    std::vector<rh::batch_job> jobs;
    for (int i = 0; i < 4; ++i) {
        jobs.emplace_back(rh::ai_app(app_id), some_inputs());
        jobs.back().files.emplace_back("10", "image", picture);
    }
    jobs.emplace_back(rh::workflow(workflow_id), some_inputs());
    rh::batch_job model(rh::standard_model("rhart-image-v1/text-to-image"), {});
    model.body = {{"prompt", "a fox"}};
    model.files.emplace_back("", "imageUrl", picture);
    jobs.push_back(model);
    std::vector<rh::batch_result> results;
    rh::batch_options o;
    o.concurrency = 2;  // later jobs find the upload done
    o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
    rh::batch_runner runner(c, o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(rh::batch_jobs::of(jobs));
        BOOST_TEST(summary.succeeded == 6u);
        BOOST_TEST(summary.uploads == 1u);
    });
    BOOST_TEST(results.size() == 6u);
    BOOST_TEST(emu.counters().uploads == 1u);  // one file, six jobs
    BOOST_TEST(emu.counters().tasks_created == 6u);
}

BOOST_AUTO_TEST_CASE(an_account_limit_costs_no_job) {
    // The account's limit is also given to the client as its cap (the window then starts at it).
    auto eo = fast_emulator(300ms);
    eo.concurrency_limit = 5;
    harness h(eo, [](rh::client_options& o) { o.throttle.max_in_flight_tasks = 5; });
    auto& [emu, io, c] = h;
    rh::batch_options o;
    o.concurrency = 30;
    rh::batch_runner runner(c, o);
    auto t0 = rh::clock::now();
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(distinct_jobs(30));
        BOOST_TEST(summary.succeeded == 30u);
        BOOST_TEST(summary.failed + summary.in_doubt == 0u);
    });
    // Ideal: 30 jobs / 5 at a time × 300 ms = 1.8 s.
    BOOST_TEST_MESSAGE("30 jobs of 300 ms at a limit of 5: " << seconds_since(t0) << " s (ideal 1.8 s), "
                                                              << emu.counters().rejected_concurrency << " 421s");
    BOOST_TEST(emu.counters().tasks_created == 30u);  // each job's task created once
}

BOOST_AUTO_TEST_CASE(a_stop_waits_for_accepted_tasks_and_reports_every_id) {
    harness h(fast_emulator(800ms));
    auto& [emu, io, c] = h;
    std::set<std::string> ids;
    rh::batch_options o;
    o.concurrency = 3;
    o.on_result = [&](const rh::batch_result& r) {
        BOOST_TEST((r.outcome == rh::batch_outcome::succeeded));
        ids.insert(r.t.id);
    };
    rh::batch_runner runner(c, o);
    asio::cancellation_signal stop;
    run_test(io, [&]() -> asio::awaitable<void> {
        stop_after(io, stop, 300ms);
        auto [ec, summary] = co_await runner.run(distinct_jobs(12), asio::bind_cancellation_slot(stop.slot(), tuple_token));
        BOOST_TEST(ec == asio::error::operation_aborted, ec.message());
        BOOST_TEST(summary.succeeded == 3u);
        BOOST_TEST(summary.in_flight == 0u);
    });
    BOOST_TEST(ids.size() == 3u);
    BOOST_TEST(emu.counters().tasks_created == 3u);
    BOOST_TEST(emu.counters().tasks_cancelled == 0u);
}

BOOST_AUTO_TEST_CASE(a_stop_leaves_jobs_waiting_for_room_to_the_next_run) {
    // Jobs beyond the account's limit wait in the runner, not in the client: a stop
    // sends none of them, reports none of them, and a resumed run submits them once.
    auto eo = fast_emulator(500ms);
    eo.concurrency_limit = 2;
    harness h(eo, [](rh::client_options& o) { o.throttle.max_in_flight_tasks = 2; });
    auto& [emu, io, c] = h;
    temp_dir dir;
    auto run_once = [&](bool stop_early) {
        rh::batch_journal journal(dir.path / "journal", "room", 8);
        rh::batch_options o;
        o.concurrency = 8;
        o.journal = &journal;
        std::size_t reported = 0;
        o.on_result = [&](const rh::batch_result& r) {
            ++reported;
            BOOST_TEST((r.outcome == rh::batch_outcome::succeeded));
        };
        rh::batch_runner runner(c, o);
        asio::cancellation_signal stop;
        io.restart();
        rh::batch_summary summary;
        run_test(io, [&]() -> asio::awaitable<void> {
            if (stop_early)
                asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                    co_await sleep_for(200ms);
                    stop.emit(asio::cancellation_type::terminal);
                }, asio::detached);
            auto r = co_await runner.run(distinct_jobs(8), asio::bind_cancellation_slot(stop.slot(), tuple_token));
            summary = std::get<1>(r);
        });
        BOOST_TEST(reported == summary.ended);
        return summary;
    };
    auto first = run_once(true);
    BOOST_TEST(first.succeeded == 2u);  // the two under way
    BOOST_TEST(emu.counters().tasks_created == 2u);
    BOOST_TEST(emu.counters().rejected_concurrency == 0u);
    auto second = run_once(false);
    BOOST_TEST(second.succeeded == 8u);
    BOOST_TEST(second.taken_over == 2u);
    BOOST_TEST(emu.counters().tasks_created == 8u);
}

BOOST_AUTO_TEST_CASE(a_submit_waiting_after_a_full_answer_is_not_in_doubt_and_a_stop_sends_it_nowhere) {
    // The window starts at 2 (no queue/status) on a limit of 1: the second job's submit
    // is answered 421 and waits in the client's queue. The journal must not call it in
    // doubt (a crash then would lose it), and a graceful stop must not send it later.
    auto eo = fast_emulator(1500ms);
    eo.concurrency_limit = 1;
    eo.queue_status_supported = false;
    harness h(eo);
    auto& [emu, io, c] = h;
    temp_dir dir;
    auto file = dir.path / "journal";
    auto run_once = [&](bool stop_when_waiting) {
        rh::batch_journal journal(file, "full", 4);
        rh::batch_options o;
        o.concurrency = 4;
        o.journal = &journal;
        rh::batch_runner runner(c, o);
        asio::cancellation_signal stop;
        rh::batch_summary summary;
        io.restart();
        run_test(io, [&]() -> asio::awaitable<void> {
            if (stop_when_waiting)
                asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                    // Wait for a submit answered 421 to be back in the queue. Another may be
                    // out meanwhile (the accepted one grew the window): only those are in doubt.
                    auto s = c.stats().throttle;
                    for (; s.waiting_on_backpressure == 0; s = c.stats().throttle)
                        co_await sleep_for(5ms);
                    // What a SIGKILL now would leave behind (nothing runs between the stats and the copy).
                    fs::copy_file(file, dir.path / "snapshot");
                    rh::batch_journal snapshot(dir.path / "snapshot", "full", 4);
                    std::map<rh::batch_journal::state, int> states;
                    for (std::size_t i = 0; i < 4; ++i)
                        ++states[snapshot[i].st];
                    BOOST_TEST(states[rh::batch_journal::state::in_doubt] == int(s.in_flight - s.tasks));
                    BOOST_TEST(states[rh::batch_journal::state::accepted] == 1);
                    BOOST_TEST(emu.counters().rejected_concurrency >= 1u);
                    stop.emit(asio::cancellation_type::terminal);
                }, asio::detached);
            summary = std::get<1>(co_await runner.run(distinct_jobs(4), asio::bind_cancellation_slot(stop.slot(), tuple_token)));
        });
        return summary;
    };
    auto first = run_once(true);
    BOOST_TEST(first.succeeded == 1u);  // the one running; the one in the queue was never sent again
    BOOST_TEST(first.in_doubt == 0u);
    BOOST_TEST(emu.counters().tasks_created == 1u);
    auto second = run_once(false);
    BOOST_TEST(second.succeeded == 4u);
    BOOST_TEST(second.taken_over == 1u);
    BOOST_TEST(emu.counters().tasks_created == 4u);
}

BOOST_AUTO_TEST_CASE(resume_after_a_stop_downloads_each_file_once) {
    harness h(fast_emulator(400ms));
    auto& [emu, io, c] = h;
    temp_dir dir;
    auto run_once = [&](bool stop_early, std::map<std::size_t, std::string>& ids) {
        rh::batch_journal journal(dir.path / "journal", "resume", 12);
        rh::batch_options o;
        o.concurrency = 4;
        o.journal = &journal;
        o.download_dir = dir.path / "out";
        o.on_result = [&](const rh::batch_result& r) {
            if (!r.t.id.empty())
                ids[r.index] = r.t.id;
        };
        rh::batch_runner runner(c, o);
        asio::cancellation_signal stop;
        io.restart();
        run_test(io, [&]() -> asio::awaitable<void> {
            if (stop_early)
                asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                    co_await sleep_for(600ms);  // some ended, some accepted
                    stop.emit(asio::cancellation_type::terminal);
                    stop.emit(asio::cancellation_type::terminal);  // the second: at once
                }, asio::detached);
            co_await runner.run(distinct_jobs(12), asio::bind_cancellation_slot(stop.slot(), tuple_token));
        });
    };
    std::map<std::size_t, std::string> first, second;
    run_once(true, first);
    auto created = emu.counters().tasks_created;
    BOOST_TEST(created < 12u);
    run_once(false, second);
    BOOST_TEST(emu.counters().tasks_created == 12u);  // each job's task created once
    BOOST_TEST(second.size() == 12u);
    for (auto& [i, id] : first)
        BOOST_TEST(second.at(i) == id);  // the task of the first run, taken over
    BOOST_TEST(requests_to(emu, "GET /files") == 12u);  // each result file downloaded once
    BOOST_TEST(static_cast<std::size_t>(std::distance(fs::directory_iterator(dir.path / "out"), {})) == 12u);
}

BOOST_AUTO_TEST_CASE(a_job_deadline_cancels_its_task) {
    harness h(fast_emulator(10s));
    auto& [emu, io, c] = h;
    rh::batch_options o;
    o.concurrency = 2;
    o.job_timeout = 300ms;
    std::vector<rh::batch_result> results;
    o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
    rh::batch_runner runner(c, o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(distinct_jobs(2));
        BOOST_TEST(summary.failed == 2u);
    });
    for (auto& r : results) {
        BOOST_TEST(r.ec == rh::errc::deadline_exceeded, r.ec.message());
        BOOST_TEST(r.cancel_confirmed);
    }
    BOOST_TEST(emu.counters().tasks_cancelled == 2u);
}

BOOST_AUTO_TEST_CASE(a_task_that_ends_before_its_cancel_is_reported_as_it_ended) {
    // The deadline cancels the task, but the cancel is answered only after the
    // task has succeeded (the service accepts a cancel of an ended task): the job is
    // a success with its results, never a CANCEL that throws paid results away.
    harness h(fast_emulator(600ms));
    auto& [emu, io, c] = h;
    emu.set_faults({{rh::fault_kind::delay, 1.0, "/task/openapi/cancel", 900ms, 1}});
    temp_dir dir;
    rh::batch_journal journal(dir.path / "journal", "late cancel", 1);
    rh::batch_options o;
    o.job_timeout = 300ms;
    o.journal = &journal;
    o.download_dir = dir.path / "out";
    std::vector<rh::batch_result> results;
    o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
    rh::batch_runner runner(c, o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(distinct_jobs(1));
        BOOST_TEST(summary.succeeded == 1u);
    });
    BOOST_TEST_REQUIRE(results.size() == 1u);
    BOOST_TEST(results[0].cancel_requested);
    BOOST_TEST((results[0].t.status == rh::task_status::success));
    BOOST_TEST(!results[0].ec, results[0].ec.message());
    BOOST_TEST(!results[0].files.empty());
    BOOST_TEST(journal[0].status == "SUCCESS");
    BOOST_TEST(emu.counters().tasks_cancelled == 0u);
}

BOOST_AUTO_TEST_CASE(an_unreadable_answer_that_names_its_task_is_waited_for) {
    // The submit's answer is cut in half (the task was created): it still names the
    // task, so the job waits for it instead of ending in doubt (issue 11).
    harness h;
    auto& [emu, io, c] = h;
    rh::fault f{rh::fault_kind::malformed_json, 1.0, "/run/"};
    f.max_count = 1;
    emu.set_faults({f});
    std::vector<rh::batch_result> results;
    rh::batch_options o;
    o.on_result = [&](const rh::batch_result& r) { results.push_back(r); };
    rh::batch_runner runner(c, o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(distinct_jobs(3));
        BOOST_TEST(summary.succeeded == 3u);
        BOOST_TEST(summary.in_doubt == 0u);
    });
    BOOST_TEST(std::count_if(results.begin(), results.end(), [](auto& r) { return r.salvaged; }) == 1);
    BOOST_TEST(emu.counters().tasks_created == 3u);
    BOOST_TEST(emu.counters().faults["malformed_json"] == 1u);
}

BOOST_AUTO_TEST_CASE(a_model_job_whose_answer_is_lost_is_journalled_in_doubt) {
    // A Standard Model job's submit went through the journal hook too: before,
    // call_model got no run_options, nothing was journalled, and a resumed run
    // would have submitted the job again.
    harness h;
    auto& [emu, io, c] = h;
    emu.set_faults({{rh::fault_kind::drop_after_processing, 1.0, "/openapi/v2/rhart-image-v1", 0ms, 1, 1}});
    temp_dir dir;
    rh::batch_journal journal(dir.path / "journal", "model", 1);
    rh::batch_job model(rh::standard_model("rhart-image-v1/text-to-image"), {});
    model.body = {{"prompt", "a fox"}};
    rh::batch_options o;
    o.journal = &journal;
    rh::batch_runner runner(c, o);
    std::vector<rh::batch_job> jobs{model};  // (no braced list inside co_await: g++ 12)
    run_test(io, [&]() -> asio::awaitable<void> {
        auto summary = co_await runner.run(rh::batch_jobs::of(jobs));
        BOOST_TEST(summary.in_doubt == 1u);
    });
    BOOST_TEST(emu.counters().tasks_created == 1u);
    BOOST_TEST(journal[0].st == rh::batch_journal::state::in_doubt);
}

/// A batch of n distinct jobs whose first submit meets `lost` (its answer never
/// arrives), with a webhook listener attached and given to the runner, and a journal.
struct adoption {
    adoption(rh::fault_kind lost, std::size_t n, rh::duration adopt_timeout)
        : listener(h.io.get_executor(), listener_options()), journal(dir.path / "journal", "adopt", n) {
        h.emu.set_faults({{lost, 1.0, "/run/", 0ms, 1, 1}});
        h.c.attach(listener);
        o.concurrency = n;
        o.journal = &journal;
        o.webhook = &listener;
        o.adopt_timeout = adopt_timeout;
        o.on_result = [this](const rh::batch_result& r) { results.push_back(r); };
    }
    /// Runs the batch; the listener is closed at its end, so that io runs out of work.
    rh::batch_summary run(std::size_t n) {
        rh::batch_runner runner(h.c, o);
        rh::batch_summary summary;
        run_test(h.io, [&]() -> asio::awaitable<void> {
            summary = co_await runner.run(distinct_jobs(n));
            listener.close();
        });
        return summary;
    }
    static rh::webhook_options listener_options() {
        rh::webhook_options wo;
        wo.secret = "0123456789abcdef-batch";
        return wo;
    }
    harness h;
    rh::webhook_listener listener;
    temp_dir dir;
    rh::batch_journal journal;
    rh::batch_options o;
    std::vector<rh::batch_result> results;
};

BOOST_AUTO_TEST_CASE(a_task_whose_submit_answer_was_lost_is_adopted_from_its_webhook_event) {
    // The first submit's task is created and its answer lost (connection closed).
    // Each submit carried the job's own callback URL, so the task's TASK_END
    // event names it: the job waits for it instead of ending in doubt (issue 11).
    adoption a(rh::fault_kind::drop_after_processing, 3, 10s);
    auto summary = a.run(3);
    BOOST_TEST(summary.succeeded == 3u);
    BOOST_TEST(summary.in_doubt == 0u);
    BOOST_TEST(a.h.emu.counters().faults["drop_after_processing"] == 1u);
    BOOST_TEST(a.h.emu.counters().tasks_created == 3u);
    auto& results = a.results;
    BOOST_TEST_REQUIRE(results.size() == 3u);
    auto adopted = std::find_if(results.begin(), results.end(), [](auto& r) { return r.adopted; });
    BOOST_TEST_REQUIRE((adopted != results.end()));
    BOOST_TEST(std::count_if(results.begin(), results.end(), [](auto& r) { return r.adopted; }) == 1);
    BOOST_TEST(!adopted->t.id.empty());
    BOOST_TEST((adopted->t.status == rh::task_status::success));
    BOOST_TEST(a.journal[adopted->index].task_id == adopted->t.id);
    BOOST_TEST(a.journal[adopted->index].status == "SUCCESS");
    std::set<std::string> ids;
    for (auto& r : results)
        ids.insert(r.t.id);
    BOOST_TEST(ids.size() == 3u);
    BOOST_TEST(a.listener.stats().accepted == 3u);
}

BOOST_AUTO_TEST_CASE(without_its_own_event_a_lost_answer_stays_in_doubt) {
    // The first submit is lost before it was processed (no task, so no event of
    // its own), while the other job's task ends and its event comes during the
    // adoption window: that event is not taken for the lost job, which ends in doubt.
    adoption a(rh::fault_kind::drop_before_processing, 2, 1500ms);
    auto summary = a.run(2);
    BOOST_TEST(summary.succeeded == 1u);
    BOOST_TEST(summary.in_doubt == 1u);
    BOOST_TEST(a.h.emu.counters().faults["drop_before_processing"] == 1u);
    BOOST_TEST(a.h.emu.counters().tasks_created == 1u);
    BOOST_TEST(a.listener.stats().accepted == 1u);  // the other job's event came
    BOOST_TEST_REQUIRE(a.results.size() == 2u);
    for (auto& r : a.results)
        BOOST_TEST(!r.adopted);
    std::size_t in_doubt = 0;
    for (std::size_t i = 0; i < 2; ++i)
        in_doubt += a.journal[i].st == rh::batch_journal::state::in_doubt;
    BOOST_TEST(in_doubt == 1u);
}

BOOST_AUTO_TEST_CASE(a_stop_while_a_submit_is_out_sends_no_further_attempt) {
    // Both submits are out (delayed) when the stop comes; one is answered 421. It
    // was left to finish, then waited for room and went again after the stop.
    auto eo = fast_emulator(1500ms);
    eo.concurrency_limit = 1;
    eo.queue_status_supported = false;
    harness h(eo);
    auto& [emu, io, c] = h;
    emu.set_faults({{rh::fault_kind::delay, 1.0, "/run/", 400ms, 1, 2}});
    rh::batch_options o;
    o.concurrency = 2;
    rh::batch_runner runner(c, o);
    asio::cancellation_signal stop;
    run_test(io, [&]() -> asio::awaitable<void> {
        stop_after(io, stop, 200ms);
        auto [ec, summary] = co_await runner.run(distinct_jobs(2), asio::bind_cancellation_slot(stop.slot(), tuple_token));
        BOOST_TEST(summary.succeeded == 1u);
        BOOST_TEST(summary.in_doubt == 0u);
    });
    BOOST_TEST(emu.counters().rejected_concurrency == 1u);
    BOOST_TEST(emu.counters().tasks_created == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
