// OpenAI-compatible chat completions over libcurl (cadrecode/qa/chat.h).
#include "cadrecode/qa/chat.h"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace cadrecode::qa {

namespace {

using nlohmann::json;

size_t append_body(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    constexpr size_t kMaxBody = 64u << 20;  // a chat answer is never this large; stop a runaway server
    if (body->size() + size * count > kMaxBody) return 0;
    body->append(data, size * count);
    return size * count;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

// The server's own words from an error body ({"error": {"message": ...}} or {"error": "..."}), else the
// start of the body.
std::string server_message(const std::string& body) {
    try {
        json j = json::parse(body);
        if (j.contains("error")) {
            const json& e = j["error"];
            if (e.is_object() && e.contains("message") && e["message"].is_string())
                return e["message"].get<std::string>();
            if (e.is_string()) return e.get<std::string>();
        }
    } catch (const json::exception&) {
    }
    return body.substr(0, 300);
}

}  // namespace

ChatConfig chat_config_from_env() {
    ChatConfig c;
    c.base_url = env_or("OPENAI_BASE_URL", c.base_url);
    c.api_key = env_or("OPENAI_API_KEY", c.api_key);
    c.model = env_or("CADRECODE_LLM_MODEL", c.model);
    return c;
}

std::string chat_request_json(const ChatConfig& config, const std::vector<ChatMessage>& messages) {
    json msgs = json::array();
    for (const auto& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
    return json{{"model", config.model}, {"messages", msgs}, {"temperature", config.temperature}}.dump();
}

std::string chat_complete(const ChatConfig& config, const std::vector<ChatMessage>& messages) {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::string url = config.base_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/chat/completions";
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw ChatError(url + ": cannot initialise libcurl", 0);
    std::string request = chat_request_json(config, messages), body;
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
    auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
    add_header("Content-Type: application/json");
    add_header("Accept: application/json");
    if (!config.api_key.empty()) add_header("Authorization: Bearer " + config.api_key);
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cadrecode/0.1");
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            throw ChatError(
                url + ": no answer within the time limit of " + json(config.timeout_s).dump() + " s (" + why + ")", 0);
        throw ChatError(url + ": request failed: " + why, 0);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) throw ChatError(url + ": HTTP " + std::to_string(status) + ": " + server_message(body), status);
    json j;
    try {
        j = json::parse(body);
    } catch (const json::exception& e) {
        throw ChatError(
            url + ": HTTP " + std::to_string(status) + ": expected a JSON chat completion, got: " + body.substr(0, 200),
            status);
    }
    try {
        const json& content = j.at("choices").at(0).at("message").at("content");
        if (!content.is_string()) throw ChatError(url + ": choices[0].message.content is not a string", status);
        return content.get<std::string>();
    } catch (const json::exception&) {
        throw ChatError(url + ": HTTP " + std::to_string(status) +
                            ": expected choices[0].message.content in the answer, got: " + body.substr(0, 200),
                        status);
    }
}

}  // namespace cadrecode::qa
