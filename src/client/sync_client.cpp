// SPDX-License-Identifier: BSL-1.0
#include <runninghub/sync_client.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <optional>
#include <thread>

namespace asio = boost::asio;

namespace runninghub {

struct sync_client::impl {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::optional<client> c;
    std::thread thread;
};

sync_client::sync_client(client_options opts) : impl_(std::make_unique<impl>()) {
    if (opts.single_threaded)
        throw error(errc::invalid_options, "sync_client: client_options::single_threaded must be false "
                                           "(operations start from the callers' threads)");
    client_ = &impl_->c.emplace(impl_->io.get_executor(), std::move(opts));  // throws before a thread exists
    impl_->thread = std::thread([io = &impl_->io] { io->run(); });
}

sync_client::~sync_client() {
    // The client goes on its own thread: what is pending completes with client_shut_down.
    asio::post(impl_->io, [i = impl_.get()] { i->c.reset(); });
    impl_->work.reset();
    impl_->thread.join();
}

bool sync_client::on_own_thread() const noexcept { return impl_->io.get_executor().running_in_this_thread(); }

client& sync_client::async() noexcept { return *client_; }

client_stats sync_client::stats() const {
    if (on_own_thread())
        return client_->stats();
    std::promise<client_stats> s;
    asio::post(client_->get_executor(), [&] { s.set_value(client_->stats()); });
    return s.get_future().get();
}

task sync_client::run(ai_app app, std::vector<node_input> inputs, run_options opts) {
    return call([&](client& c, auto token) { return c.run(std::move(app), std::move(inputs), std::move(opts), token); });
}

task sync_client::run(workflow wf, std::vector<node_input> inputs, run_options opts) {
    return call([&](client& c, auto token) { return c.run(std::move(wf), std::move(inputs), std::move(opts), token); });
}

task sync_client::wait(std::string task_id, wait_options opts) {
    return call([&](client& c, auto token) { return c.wait(std::move(task_id), std::move(opts), token); });
}

run_result sync_client::run_and_wait(ai_app app, std::vector<node_input> inputs, run_options ro,
                                     run_and_wait_options opts) {
    return call([&](client& c, auto token) {
        return c.run_and_wait(std::move(app), std::move(inputs), std::move(ro), std::move(opts), token);
    });
}

task sync_client::query(std::string task_id, call_overrides co) {
    return call([&](client& c, auto token) { return c.query(std::move(task_id), std::move(co), token); });
}

task sync_client::cancel(std::string task_id, call_overrides co) {
    return call([&](client& c, auto token) { return c.cancel(std::move(task_id), std::move(co), token); });
}

} // namespace runninghub
