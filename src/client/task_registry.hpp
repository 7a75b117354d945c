// SPDX-License-Identifier: BSL-1.0
#pragma once
// The tasks this client has seen accepted and not yet seen end: what submits
// and waits share. Each holds a slot of the submit gate until it ends or its
// wait is abandoned.

#include "client/submit_gate.hpp"

#include <runninghub/stats.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runninghub::detail {

class task_registry {
public:
    task_registry(submit_gate& gate, latency_histogram& task_latency) : gate_(gate), latency_(task_latency) {}

    /// An accepted task takes over its submission's gate slot.
    void accepted(std::string_view id, time_point now) {
        if (auto k = numeric_key(id))
            numeric_.emplace(*k, now);
        else
            other_.emplace(std::string(id), now);
    }

    /// When the task was accepted, if this client submitted it and it is in flight.
    std::optional<time_point> accepted_at(std::string_view id) const {
        if (auto k = numeric_key(id)) {
            auto it = numeric_.find(*k);
            return it == numeric_.end() ? std::nullopt : std::optional<time_point>(it->second);
        }
        auto it = other_.find(std::string(id));
        return it == other_.end() ? std::nullopt : std::optional<time_point>(it->second);
    }

    /// The client saw the task end (`seen`), or its caller gave up waiting for
    /// it: its gate slot frees. Should the service still run an abandoned
    /// task, a "full" answer to a later submit shrinks the window until it ends.
    void ended(std::string_view id, bool seen, time_point now) {
        if (auto k = numeric_key(id))
            end(numeric_, numeric_.find(*k), seen, now);
        else
            end(other_, other_.find(std::string(id)), seen, now);
    }

    std::size_t size() const noexcept { return numeric_.size() + other_.size(); }

    /// RunningHub's task ids are 19 decimal digits: such an id (no leading
    /// zero, so the number names one id) is kept as a number, with no heap copy
    /// and no node allocated per task (issue 12); any other id as a string.
    static std::optional<std::uint64_t> numeric_key(std::string_view id) noexcept {
        if (id.empty() || id.size() > 19 || (id[0] == '0' && id.size() > 1))
            return std::nullopt;
        std::uint64_t v = 0;
        for (char c : id) {
            if (c < '0' || c > '9')
                return std::nullopt;
            v = v * 10 + std::uint64_t(c - '0');
        }
        return v;
    }

private:
    template <class Map>
    void end(Map& m, typename Map::iterator it, bool seen, time_point now) {
        if (it == m.end())
            return;
        if (seen)
            latency_.record(now - it->second);
        m.erase(it);
        gate_.task_ended();
    }

    submit_gate& gate_;
    latency_histogram& latency_;
    boost::unordered_flat_map<std::uint64_t, time_point> numeric_;
    boost::unordered_flat_map<std::string, time_point> other_;
};

} // namespace runninghub::detail
