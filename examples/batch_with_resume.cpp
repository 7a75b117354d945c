// SPDX-License-Identifier: BSL-1.0
// A batch of distinct jobs with a crash-safe journal: the first run is stopped
// part way (as Ctrl-C would), the second run over the same journal finishes
// it, waiting for the tasks already accepted instead of paying for them again.
#include "service.hpp"

#include <runninghub/batch.hpp>
#include <runninghub/journal.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace asio = boost::asio;
namespace rh = runninghub;
using namespace std::chrono_literals;

rh::batch_jobs jobs() {
    std::vector<rh::batch_job> list;
    for (const char* prompt : {"a cat", "a dog", "a fox", "an owl", "a bee", "a crab"}) {
        std::vector<rh::node_input> in{{"9", "text", prompt}};
        list.emplace_back(rh::ai_app("1877265245566922753"), std::move(in));
        list.back().id = prompt;
    }
    return rh::batch_jobs::of(std::move(list));
}

// One run over the journal; `stop_after` > 0 stops it (gracefully) after that many results.
rh::batch_summary run(rh::client& client, asio::io_context& io, rh::batch_journal& journal, std::size_t stop_after) {
    asio::cancellation_signal stop;
    rh::batch_options o;
    o.concurrency = 2;
    o.journal = &journal;
    std::size_t seen = 0;
    o.on_result = [&](const rh::batch_result& r) {
        std::cout << "  " << r.job_id << ": task " << r.t.id << " " << rh::to_string(r.t.status)
                  << (r.taken_over ? " (its task is from the earlier run: not paid again)" : "") << "\n";
        if (++seen == stop_after)
            stop.emit(asio::cancellation_type::terminal);  // no new job; accepted ones are waited for
    };
    rh::batch_runner runner(client, o);
    rh::batch_summary summary;
    asio::co_spawn(io, runner.run(jobs(), asio::bind_cancellation_slot(stop.slot(), asio::as_tuple(asio::use_awaitable))),
                   [&](std::exception_ptr, std::tuple<rh::error_code, rh::batch_summary> r) { summary = std::get<1>(r); });
    io.restart();
    io.run();
    return summary;
}

int main() {
    rh::emulator_options eo;
    eo.run_time = 300ms;
    examples::service svc(eo);
    auto file = std::filesystem::temp_directory_path() / ("example-batch-" + std::to_string(::getpid()) + ".journal");
    asio::io_context io;
    rh::client client(io.get_executor(), svc.options);
    rh::batch_summary first, second;
    {
        rh::batch_journal journal(file, "six animals", 6);  // identifies the batch: another is refused
        std::cout << "first run, stopped after 2 results:\n";
        first = run(client, io, journal, 2);
    }
    {
        rh::batch_journal journal(file, "six animals", 6);  // what a restart after a crash does
        std::cout << "second run over the journal:\n";
        second = run(client, io, journal, 0);
    }
    std::filesystem::remove(file);
    std::cout << first.succeeded << " + " << second.succeeded - second.taken_over << " new, " << second.taken_over
              << " taken over, " << second.failed + second.in_doubt << " failed\n";
    bool ok = second.succeeded == 6 && second.failed + second.in_doubt == 0;
    if (svc.emulator)
        ok = ok && svc.emulator->counters().tasks_created == 6;  // each job paid for once
    return ok ? 0 : 1;
}
