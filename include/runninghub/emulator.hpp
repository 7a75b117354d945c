// SPDX-License-Identifier: BSL-1.0
#pragma once
// runninghub::emulator: an in-process RunningHub server for tests, demos and
// benchmarks. HTTPS on 127.0.0.1 with an ephemeral port and a certificate made
// at start (trust it through client_options::ca_pem), or plain HTTP.
// It runs on its own thread(s); every member function is thread-safe.

#include <runninghub/options.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace runninghub {

enum class fault_kind {
    http_502,                // 502 with an HTML body, request not processed
    http_503_empty,          // 503 with an empty body, not processed
    http_503_html,           // 503 with an HTML body, not processed
    http_429,                // 429 with Retry-After, not processed
    busy_1003,               // 200 {"code":1003,...}, not processed
    busy_1011,               // 200 {"code":1011,...}, not processed
    drop_before_processing,  // connection closed after the request was read, not processed
    drop_after_processing,   // processed (a task may be created), then closed without an answer
    delay,                   // answer delayed by fault::delay, then processed normally
    malformed_json,          // processed, answered with a truncated JSON body
    connection_close,        // processed, answered with Connection: close
    truncated_body,          // file downloads: the head announces every byte, half are sent, then close
    close_after_answer,      // processed, answered without Connection: close, then closed at once (the FIN
                             // travels with the answer, as from a server whose keep-alive is off)
    echo_request,            // 502 whose JSON message and body quote the request (head with the key, body), not processed
    wrong_task_id,           // processed, but the answer's taskId names another task (1234567890123456789)
    unsolicited_answer,      // processed and answered, then a second answer nobody asked for (a task 1111111111111111111)
    http_500_with_answer,    // processed (a task may be created), its usual JSON answer sent with HTTP 500
    early_hints,             // processed, its answer preceded by an interim "103 Early Hints" (as a CDN may send)
};

std::string_view to_string(fault_kind k) noexcept;

struct fault {
    fault_kind kind;
    double probability = 1.0;       // 0..1, drawn per request
    std::string path_filter;        // substring of the request target; empty: all
    std::chrono::milliseconds delay{0};
    unsigned retry_after_seconds = 1;
    std::uint64_t max_count = UINT64_MAX;  // then the fault stops firing
    /// An answer kind (5xx, 429, 1003, 1011) sent after the request was carried
    /// out (a submit's task created): a hostile or buggy service.
    bool after_processing = false;
};

/// How the emulator shapes its TASK_END callbacks (all seen in the wild).
enum class webhook_shape {
    legacy_string,  // {"event":"TASK_END","taskId":…,"eventData":"<outputs envelope as a JSON string>"}
    object,         // {"event":"TASK_END","taskId":…,"eventData":{status,results,usage}}
    wrapped,        // {"code":0,"msg":"success","data":{taskId,status,results}}
    flat,           // {taskId,status,results}
};

/// What a task of an app or workflow outputs.
enum class result_kind {
    file,  // one PNG file per task (result_file_size bytes)
    text,  // one text output (outputType "txt", the text inline)
    none,  // no output (a workflow without a save node): SUCCESS with an empty list
};

struct emulator_options {
    bool tls = true;
    unsigned short port = 0;                     // 0: an ephemeral port
    std::string certificate_name = "127.0.0.1";  // the server certificate's SAN (IP or DNS name)
    std::vector<std::string> api_keys = {"0123456789abcdef0123456789abcdef"};
    std::vector<std::string> ai_apps = {"1877265245566922753"};
    std::vector<std::string> workflows = {"1904136902449209346"};
    duration queue_time = std::chrono::milliseconds(0);
    duration run_time = std::chrono::milliseconds(200);
    double failure_rate = 0.0;                  // share of tasks that end FAILED
    /// The v2 run answers an unknown app {"code":1,"msg":"webapp not exists"}
    /// (as reported of the service) instead of 901 WEBAPP_NOT_EXISTS.
    bool v2_unknown_app_as_code_1 = false;
    std::size_t concurrency_limit = 0;          // active tasks per key; beyond: over_limit_code; 0: unlimited
    /// The answer to a submit beyond concurrency_limit: 421 TASK_QUEUE_MAXED
    /// (shared keys), 804 APIKEY_TASK_IS_RUNNING (consumer keys, on create),
    /// 415 TASK_INSTANCE_MAXED (exclusive keys), 814 PERSONAL_QUEUE_COUNT_LIMIT, 1520.
    int over_limit_code = 421;
    /// false: GET /openapi/v2/queue/status answers 404, as a service without it would.
    bool queue_status_supported = true;
    std::size_t keep_alive_max_requests = 0;    // then Connection: close; 0: unlimited
    duration keep_alive_idle = std::chrono::seconds(60);  // idle connections closed after
    std::vector<fault> faults;
    // Webhooks: a task submitted with webhookUrl gets a POST when it ends.
    webhook_shape webhook_format = webhook_shape::legacy_string;
    double webhook_loss_rate = 0;       // share of callbacks never sent
    double webhook_duplicate_rate = 0;  // share of callbacks sent twice
    unsigned webhook_attempts = 3;      // tries on non-2xx or error
    duration webhook_retry_delay = std::chrono::milliseconds(200);
    std::uint64_t seed = 42;
    unsigned threads = 1;

    // Files. Uploads are stored in a temporary directory removed with the
    // emulator, and served back at their download_url.
    std::uint64_t result_file_size = 2048;     // bytes of each generated result file
    /// Result URLs point here (another emulator acting as the CDN: result
    /// files are generated, any emulator serves them); empty: this one.
    std::string result_base_url;
    std::map<std::string, result_kind> result_kinds;  // by app or workflow id; default: file
    std::uint64_t legacy_upload_limit = 30u << 20;    // /task/openapi/upload answers 809 above it
    /// /task/openapi/outputs answers 804 this long after a task's SUCCESS.
    duration outputs_lag = std::chrono::milliseconds(0);

    // Standard Model API endpoints (POST /openapi/v2/{endpoint}); the
    // instant ones answer SUCCESS with results at once.
    std::vector<std::string> models = {"rhart-image-v1/text-to-image", "kling-v3.0-std/image-to-video"};
    std::vector<std::string> instant_models = {"rhart-image-v1/instant"};
    std::string remain_coins = "100000";  // accountStatus; each created task costs 10
};

struct emulator_counters {
    std::map<std::string, std::uint64_t> requests;  // by endpoint ("POST /openapi/v2/query")
    std::map<std::string, std::uint64_t> faults;    // by fault kind
    std::map<std::string, std::uint64_t> create_faults;  // by fault kind, on submits (v2 run) only
    std::uint64_t tasks_created = 0;
    std::uint64_t tasks_cancelled = 0;              // by /task/openapi/cancel before they ended
    std::uint64_t rejected_concurrency = 0;         // submits refused beyond concurrency_limit
    std::map<int, std::uint64_t> over_limit_answers;  // the same by code answered (421, 804 …)
    std::uint64_t connections = 0;                  // accepted
    std::uint64_t in_progress = 0;                  // requests read and not yet answered (or dropped)
    std::uint64_t webhooks_delivered = 0;           // callbacks answered 2xx
    std::uint64_t webhooks_failed_attempts = 0;     // tries that failed (then retried)
    std::uint64_t webhooks_given_up = 0;            // callbacks that failed every try
    std::uint64_t webhooks_lost = 0;                // callbacks deliberately never sent
    std::uint64_t webhooks_duplicated = 0;          // callbacks deliberately sent twice
    /// Submits (v2 run) whose answer a fault destroyed and that created no
    /// task: 5xx or a drop before processing, or an error answer (421 …) that
    /// was garbled or came after the client gave up. The client cannot know.
    std::uint64_t creates_lost_without_task = 0;
    /// Tasks created whose answer never reached the client intact: dropped
    /// after processing, garbled, or delayed until the client gave up.
    std::uint64_t creates_answer_lost = 0;
    std::uint64_t uploads = 0;                      // files stored (v2, legacy, LoRA)
    std::uint64_t upload_bytes = 0;
    std::uint64_t range_requests = 0;               // file downloads that asked for a Range
    std::uint64_t storage_requests_with_key = 0;    // file/storage requests carrying the API key (must stay 0)
    std::uint64_t webhook_retries_requested = 0;    // retryWebhook calls
    std::uint64_t total_requests() const;
};

/// A submit as the emulator received it (emulator::submitted).
struct submitted_request {
    std::string body;                                          // its JSON, without the API key
    std::vector<std::pair<std::string, std::string>> headers;  // in order, without Authorization
};

class emulator {
public:
    static constexpr const char* default_api_key = "0123456789abcdef0123456789abcdef";

    /// Binds 127.0.0.1 (options.port, default ephemeral) and starts serving
    /// before returning. Throws on failure.
    explicit emulator(emulator_options opts = {});
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    std::string base_url() const;
    unsigned short port() const;
    const std::string& ca_pem() const;  // the CA that signed the server certificate
    /// Options for a client of this emulator: key, base URL and trusted CA.
    client_options make_client_options() const;

    emulator_counters counters() const;
    /// The submit that created `task_id`, as received: what an application
    /// under test sent. nullopt for an unknown task.
    std::optional<submitted_request> submitted(const std::string& task_id) const;
    /// Waits until no request is in progress (e.g. delayed answers), at most `limit`.
    bool wait_idle(duration limit) const;
    void set_faults(std::vector<fault> faults);
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace runninghub
