// SPDX-License-Identifier: BSL-1.0
#pragma once
// TASK_END callbacks: the body shapes seen in the wild, deliberate loss and
// duplicates, retries, and the small HTTP(S) client that posts them.

#include "state.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <string>

namespace runninghub::emu {

/// The callback body for task `id` in the configured shape; empty for an
/// unknown task. Needs the state's lock.
std::string webhook_body(const state& st, const std::string& id, time_point now);

class webhooks {
public:
    webhooks(state& st, boost::asio::any_io_executor ex) : st_(st), ex_(std::move(ex)) {}

    /// Posts the callback of task `id` to `url` at `at` (its end), with loss,
    /// duplicates and retries as configured, and keeps its delivery record.
    void schedule(std::string id, std::string url, time_point at);

private:
    boost::asio::awaitable<void> deliver(std::string id, std::string url, time_point at);
    /// One try; true when it was answered 2xx.
    boost::asio::awaitable<bool> attempt(const std::string& id, const std::string& url, const std::string& body,
                                         unsigned n, unsigned attempts);

    state& st_;
    boost::asio::any_io_executor ex_;
};

} // namespace runninghub::emu
