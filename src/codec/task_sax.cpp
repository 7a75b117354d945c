// SPDX-License-Identifier: BSL-1.0
#include "codec/task_sax.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace json = boost::json;

namespace runninghub::detail {
namespace {

// The keys read (decode_flat's, decode_results' and decode_usage's); an index each.
enum class sax_key : std::uint8_t {
    other,
    // the task
    task_id, task_id_snake, status, task_status, error_code, error_message, failed_reason, results, client_id,
    prompt_tips, net_wss_url, usage,
    // a result item (and its costs, with the usage keys below)
    url, output_url, file_url, output_type, file_type, node_id, text, content, output,
    // costs
    consume_money, consume_coins, task_cost_time, third_party_consume_money,
};

sax_key sax_key_of(std::string_view k) noexcept {
    static constexpr std::pair<std::string_view, sax_key> names[] = {
        {"taskId", sax_key::task_id}, {"task_id", sax_key::task_id_snake}, {"status", sax_key::status},
        {"taskStatus", sax_key::task_status}, {"errorCode", sax_key::error_code}, {"errorMessage", sax_key::error_message},
        {"failedReason", sax_key::failed_reason}, {"results", sax_key::results}, {"clientId", sax_key::client_id},
        {"promptTips", sax_key::prompt_tips}, {"netWssUrl", sax_key::net_wss_url}, {"usage", sax_key::usage},
        {"url", sax_key::url}, {"outputUrl", sax_key::output_url}, {"fileUrl", sax_key::file_url},
        {"outputType", sax_key::output_type}, {"fileType", sax_key::file_type}, {"nodeId", sax_key::node_id},
        {"text", sax_key::text}, {"content", sax_key::content}, {"output", sax_key::output},
        {"consumeMoney", sax_key::consume_money}, {"consumeCoins", sax_key::consume_coins},
        {"taskCostTime", sax_key::task_cost_time}, {"thirdPartyConsumeMoney", sax_key::third_party_consume_money},
    };
    for (auto& [name, k2] : names)
        if (name == k)
            return k2;
    return sax_key::other;
}

// A field written by the first key of its list that has a non-null value
// (first_of's rule): `rank` is the position of the key that wrote it.
struct ranked {
    std::string* to = nullptr;
    unsigned rank = 0;
};

// Where the parser is: the task object, its results array, one result item,
// its usage object, an empty failedReason object, or inside a value nobody reads.
enum class sax_place : std::uint8_t { before, task, results, item, usage, failed, skipped, after };

class sax_task_handler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    explicit sax_task_handler(task& t) : t_(t) {}

    bool declined = false;  // not the plain shape: the DOM path reads it
    bool saw_task_id = false;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }

    bool on_object_begin(error_code& ec) {
        switch (at_) {
        case sax_place::before: at_ = sax_place::task; return true;
        case sax_place::task:
            if (key_ == sax_key::usage)
                return enter(sax_place::usage);
            if (key_ == sax_key::failed_reason)
                return enter(sax_place::failed);  // only {} is read here: a key in it declines
            return key_ == sax_key::other ? skip() : decline(ec);
        case sax_place::results:
            t_.results.emplace_back();
            return enter(sax_place::item);
        case sax_place::item:
        case sax_place::usage: return key_ == sax_key::other ? skip() : decline(ec);
        case sax_place::skipped: ++skipped_; return true;
        default: return decline(ec);
        }
    }
    bool on_object_end(std::size_t, error_code&) { return leave(); }
    bool on_array_begin(error_code& ec) {
        switch (at_) {
        case sax_place::task:
            if (key_ == sax_key::results)
                return enter(sax_place::results);
            return key_ == sax_key::other ? skip() : decline(ec);
        case sax_place::results: return skip();  // an array in the list: not an item (decode_results skips it)
        case sax_place::item:
        case sax_place::usage: return key_ == sax_key::other ? skip() : decline(ec);
        case sax_place::skipped: ++skipped_; return true;
        default: return decline(ec);
        }
    }
    bool on_array_end(std::size_t, error_code&) { return leave(); }

    bool on_key_part(json::string_view s, std::size_t, error_code&) { return add_part(s); }
    bool on_key(json::string_view s, std::size_t, error_code& ec) {
        key_ = at_ == sax_place::skipped ? sax_key::other : sax_key_of(whole(s));
        part_.clear();
        if (at_ == sax_place::failed)
            return decline(ec);  // a failedReason with something in it: kept as sent, by the DOM path
        if (key_ == sax_key::other)
            return true;
        // A key twice in one object: which one the DOM keeps is its business.
        auto bit = std::uint32_t(1) << static_cast<unsigned>(key_);
        auto& seen = at_ == sax_place::task ? seen_task_ : at_ == sax_place::item ? seen_item_ : seen_usage_;
        if (seen & bit)
            return decline(ec);
        seen |= bit;
        if (at_ == sax_place::task && key_ == sax_key::task_id)
            saw_task_id = true;
        return true;
    }

    bool on_string_part(json::string_view s, std::size_t, error_code&) { return add_part(s); }
    bool on_string(json::string_view s, std::size_t, error_code& ec) {
        bool ok = ignored() || scalar(whole(s), true, false, ec);
        part_.clear();
        return ok;
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, error_code& ec) {
        return ignored() || key_ == sax_key::other || number(std::to_string(i), ec);
    }
    bool on_uint64(std::uint64_t u, json::string_view, error_code& ec) {
        return ignored() || key_ == sax_key::other || number(std::to_string(u), ec);
    }
    bool on_double(double d, json::string_view, error_code& ec) {
        // As scalar_text writes a double: serialized by Boost.JSON.
        return ignored() || key_ == sax_key::other || number(json::serialize(json::value(d)), ec);
    }
    bool on_bool(bool b, error_code& ec) { return ignored() || scalar(b ? "true" : "false", false, false, ec); }
    bool on_null(error_code& ec) { return ignored() || scalar({}, false, true, ec); }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }

    /// After the parse: status from its two keys (str_or_empty's rule).
    void finish() {
        std::string_view st = status_.empty() ? std::string_view(task_status_) : std::string_view(status_);
        t_.status_text = std::string(st);
        t_.status = parse_task_status(st);
        if (t_.error_code == "0")
            t_.error_code.clear();
    }

private:
    bool decline(error_code& ec) {
        declined = true;
        ec = make_error_code(boost::system::errc::operation_canceled);  // stops the parser
        return false;
    }
    bool ignored() const { return at_ == sax_place::skipped || at_ == sax_place::results; }
    // A key or string that came in parts (around escapes): the parts so far, then the last.
    bool add_part(json::string_view s) {
        part_.append(s.data(), s.size());
        return true;
    }
    std::string_view whole(json::string_view last) {
        if (part_.empty())
            return {last.data(), last.size()};
        part_.append(last.data(), last.size());
        return part_;
    }
    bool enter(sax_place p) {
        at_ = p;
        if (p == sax_place::item) {
            seen_item_ = 0;
            url_ = type_ = {};
        }
        return true;
    }
    bool skip() {
        skip_from_ = at_;
        at_ = sax_place::skipped;
        skipped_ = 1;
        return true;
    }
    bool leave() {
        switch (at_) {
        case sax_place::skipped:
            if (--skipped_ == 0)
                at_ = skip_from_;
            break;
        case sax_place::item: at_ = sax_place::results; break;
        case sax_place::failed:
            t_.failed_reason.raw = json::object();  // {} as sent (empty() says so)
            at_ = sax_place::task;
            break;
        case sax_place::results:
        case sax_place::usage: at_ = sax_place::task; break;
        case sax_place::task: at_ = sax_place::after; break;
        default: break;
        }
        key_ = sax_key::other;
        return true;
    }
    bool number(const std::string& text, error_code& ec) { return ignored() || scalar(text, false, false, ec); }

    // A scalar value of the current key: its text as scalar_text gives it ("" for
    // null), `is_string` for str_or_empty's keys, `is_null` for first_of's.
    bool scalar(std::string_view text, bool is_string, bool is_null, error_code& ec) {
        auto first_of = [&](ranked& f, std::string& to, unsigned rank) {
            if (is_null || (f.to && f.rank < rank))
                return;
            to.assign(text);
            f = {&to, rank};
        };
        auto optional = [&](std::optional<std::string>& to) {
            if (!is_null)
                to.emplace(text);
        };
        if (at_ == sax_place::task) {
            switch (key_) {
            case sax_key::task_id: first_of(id_, t_.id, 0); break;
            case sax_key::task_id_snake: first_of(id_, t_.id, 1); break;
            case sax_key::status:
                if (is_string)
                    status_.assign(text);
                break;
            case sax_key::task_status:
                if (is_string)
                    task_status_.assign(text);
                break;
            case sax_key::error_code: t_.error_code.assign(text); break;
            case sax_key::error_message: t_.error_message.assign(text); break;
            case sax_key::client_id: t_.client_id.assign(text); break;
            case sax_key::prompt_tips: t_.prompt_tips.assign(text); break;
            case sax_key::net_wss_url: t_.net_wss_url.assign(text); break;
            case sax_key::failed_reason:  // a reason sent as a string is kept as one
                if (is_string)
                    t_.failed_reason.raw = json::string(text);
                else if (!is_null)
                    return decline(ec);
                break;
            case sax_key::results:
            case sax_key::usage:
                if (!is_null)  // a scalar where a list or an object belongs: the DOM path's business
                    return decline(ec);
                break;
            default: break;
            }
            return true;
        }
        task_usage& u = at_ == sax_place::item ? t_.results.back().usage : t_.usage;
        switch (key_) {
        case sax_key::consume_money: optional(u.consume_money); return true;
        case sax_key::consume_coins: optional(u.consume_coins); return true;
        case sax_key::task_cost_time: optional(u.task_cost_time); return true;
        case sax_key::third_party_consume_money: optional(u.third_party_consume_money); return true;
        default: break;
        }
        if (at_ != sax_place::item)
            return true;
        result_file& r = t_.results.back();
        switch (key_) {
        case sax_key::url: first_of(url_, r.url, 0); break;
        case sax_key::output_url: first_of(url_, r.url, 1); break;
        case sax_key::file_url: first_of(url_, r.url, 2); break;
        case sax_key::output_type: first_of(type_, r.output_type, 0); break;
        case sax_key::file_type: first_of(type_, r.output_type, 1); break;
        case sax_key::node_id: r.node_id.assign(text); break;
        case sax_key::text:
        case sax_key::content:
        case sax_key::output:
            if (!is_null && (!r.text || text_rank_ > rank_of_text())) {
                r.text.emplace(text);
                text_rank_ = rank_of_text();
            }
            break;
        default: break;
        }
        return true;
    }
    unsigned rank_of_text() const { return static_cast<unsigned>(key_) - static_cast<unsigned>(sax_key::text); }

    task& t_;
    sax_place at_ = sax_place::before;
    sax_place skip_from_ = sax_place::before;
    std::size_t skipped_ = 0;
    sax_key key_ = sax_key::other;
    std::uint32_t seen_task_ = 0, seen_item_ = 0, seen_usage_ = 0;
    std::string part_;  // a key or string that came in parts (escapes)
    std::string status_, task_status_;
    ranked id_, url_, type_;
    unsigned text_rank_ = 0;
};

void clear_flat_fields(task& t) {
    t.id.clear();
    t.status = task_status::unknown;
    t.status_text.clear();
    t.error_code.clear();
    t.error_message.clear();
    t.results.clear();
    t.client_id.clear();
    t.prompt_tips.clear();
    t.net_wss_url.clear();
    t.usage = {};
    t.failed_reason = {};
}

} // namespace

bool decode_flat_fast(std::string_view body, task& t) {
    clear_flat_fields(t);  // what an answer does not say is empty, whatever t held
    json::basic_parser<sax_task_handler> p(json::parse_options(), t);
    error_code ec;
    std::size_t n = p.write_some(false, body.data(), body.size(), ec);
    auto& h = p.handler();
    if (ec || n != body.size() || h.declined || !h.saw_task_id) {
        clear_flat_fields(t);
        return false;
    }
    h.finish();
    return true;
}

} // namespace runninghub::detail
