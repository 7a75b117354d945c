// SPDX-License-Identifier: BSL-1.0
#include "core/pool_state.hpp"

#include <boost/system/errc.hpp>

namespace runninghub::detail {

void count_close(pool_stats& s, close_cause c) noexcept {
    switch (c) {
    case close_cause::idle: ++s.closed_idle; break;
    case close_cause::by_peer: ++s.closed_by_peer; break;
    case close_cause::max_requests: ++s.closed_max_requests; break;
    case close_cause::error: ++s.closed_error; break;
    case close_cause::timeout: ++s.closed_timeout; break;
    case close_cause::shutdown: break;
    }
}

bool repeat_on_fresh_connection(const failed_exchange& f, time_point now, time_point deadline) noexcept {
    // Our own category: a phase timeout, or the source's or sink's error.
    bool ours = f.ec.category() == runninghub::category();
    // asio::error::operation_aborted is ECANCELED, without including Asio here.
    bool cancelled = f.ec == boost::system::errc::operation_canceled;
    return f.reused && !f.got_response_bytes && f.attempt == 0 && !ours && !cancelled &&
           (!f.request_written || f.idempotent) && now < deadline;
}

} // namespace runninghub::detail
