#pragma once
// The tasks this client has seen accepted and not yet seen end: what submits
// and waits share. Each holds a slot of the submit gate until it ends or its
// wait is abandoned.

#include "client/submit_gate.hpp"

#include <runninghub/stats.hpp>

#include <optional>
#include <string>
#include <unordered_map>

namespace runninghub::detail {

class task_registry {
public:
    task_registry(submit_gate& gate, latency_histogram& task_latency) : gate_(gate), latency_(task_latency) {}

    /// An accepted task takes over its submission's gate slot.
    void accepted(const std::string& id, time_point now) { tasks_.emplace(id, now); }

    /// When the task was accepted, if this client submitted it and it is in flight.
    std::optional<time_point> accepted_at(const std::string& id) const {
        auto it = tasks_.find(id);
        return it == tasks_.end() ? std::nullopt : std::optional<time_point>(it->second);
    }

    /// The client saw the task end (`seen`), or its caller gave up waiting for
    /// it: its gate slot frees. Should the service still run an abandoned
    /// task, a "full" answer to a later submit shrinks the window until it ends.
    void ended(const std::string& id, bool seen, time_point now) {
        auto it = tasks_.find(id);
        if (it == tasks_.end())
            return;
        if (seen)
            latency_.record(now - it->second);
        tasks_.erase(it);
        gate_.task_ended();
    }

    std::size_t size() const noexcept { return tasks_.size(); }

private:
    submit_gate& gate_;
    latency_histogram& latency_;
    std::unordered_map<std::string, time_point> tasks_;
};

} // namespace runninghub::detail
