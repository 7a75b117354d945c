// SPDX-License-Identifier: BSL-1.0
// One task at a time: run, query, wait, and the legacy cancel, status, outputs.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace rhcli {

namespace {

/// The task if there is one, then the error if there is one.
int show(const args& a, const std::tuple<rh::error_code, rh::task>& r) {
    auto& [ec, t] = r;
    if (!t.id.empty())
        print_task(t);
    return report(a, ec, t.diag);
}

} // namespace

int run_task(const args& a) {
    return with_client(a, true, [&](rh::client& c, target& t) -> asio::awaitable<int> {
        std::tuple<rh::error_code, rh::task> r;
        if (!t.workflow.empty())
            r = co_await c.run(rh::workflow(t.workflow), t.inputs, {}, tuple);
        else
            r = co_await c.run(rh::ai_app(t.app), t.inputs, {}, tuple);
        co_return show(a, r);
    });
}

int query_task(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        auto r = co_await c.query(a.id, tuple);
        co_return show(a, r);
    });
}

void wait_flags(CLI::App& cmd, args& a) {
    task_id_flags(cmd, a);
    timeout_flag(cmd, a, "give up after this many seconds");
}

int wait_task(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        rh::wait_options o;
        o.timeout = timeout_of(a);
        auto r = co_await c.wait(a.id, o, tuple);
        co_return show(a, r);
    });
}

int cancel_task(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        // The service answers a cancel of an ended task with success: look first, say so.
        auto [qe, now] = co_await c.query(a.id, tuple);
        if (!qe && rh::is_terminal(now.status)) {
            std::cerr << "runninghub cancel: task " << a.id << " already ended " << rh::to_string(now.status)
                      << ": nothing to cancel\n";
            co_return 1;
        }
        auto [ec, t] = co_await c.cancel(a.id, tuple);
        if (!ec)
            std::cout << "cancelled " << a.id << "\n";
        co_return report(a, ec, t.diag);
    });
}

int task_status(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        auto [ec, t] = co_await c.legacy_status(a.id, tuple);
        if (!ec)
            print_task(t);
        co_return report(a, ec, t.diag);
    });
}

int task_outputs(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        auto [ec, t] = co_await c.legacy_outputs(a.id, tuple);
        if (!ec)
            print_task(t);
        co_return report(a, ec, t.diag);
    });
}

} // namespace rhcli
