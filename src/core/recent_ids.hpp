// SPDX-License-Identifier: BSL-1.0
#pragma once
// A bounded memory of task ids, oldest forgotten first: the webhook
// listener's deduplication and the waits' memory of events that came before
// their wait. Bounded in count and in bytes, so that long or many ids sent by
// whoever knows the callback URL cannot grow it without limit.

#include <runninghub/options.hpp>

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace runninghub::detail {

class recent_ids {
public:
    /// What one entry costs besides its id's characters (list node, hash node,
    /// bucket), roughly: the byte bound counts it so that short ids are not free.
    static constexpr std::size_t entry_overhead = 96;

    recent_ids(std::size_t max_count, std::size_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}

    /// Remembers `id` as seen at `now` (an id already there moves to the newest
    /// place). False when it was already there. Forgets the oldest beyond the bounds.
    bool remember(std::string_view id, time_point now);
    /// When `id` was last remembered; nullopt when it is not (or no longer) remembered.
    std::optional<time_point> when(std::string_view id) const;
    bool contains(std::string_view id) const { return index_.count(id) != 0; }
    /// True when `id` was remembered.
    bool forget(std::string_view id);
    /// Forgets every id remembered before `t`.
    void forget_before(time_point t);
    void clear();

    std::size_t size() const noexcept { return index_.size(); }
    /// What is remembered, counted as characters plus entry_overhead per id.
    std::size_t bytes() const noexcept { return bytes_; }

private:
    struct entry {
        std::string id;
        time_point at;
    };
    using list = std::list<entry>;
    void trim();
    void erase(list::iterator it);

    std::size_t max_count_, max_bytes_;
    std::size_t bytes_ = 0;
    list order_;  // oldest first
    std::unordered_map<std::string_view, list::iterator> index_;  // views into order_'s ids
};

} // namespace runninghub::detail
