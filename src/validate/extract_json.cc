#include "validate/extract_json.h"

#include <cstdint>
#include <vector>

namespace lakehouse {
namespace {

struct Span {
  size_t begin;  // index of '{'
  size_t end;    // index one past the matching '}'
  int depth;     // deepest nesting inside the span
};

// The outermost balanced {...} spans of `text`, in order. String state is tracked only
// inside braces. An opening brace that never closes is dropped, and the spans that closed
// inside it become outermost.
std::vector<Span> OutermostSpans(std::string_view text) {
  std::vector<Span> spans;
  struct Open {
    size_t pos;
    int max_depth_below;
  };
  std::vector<Open> stack;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"' && !stack.empty()) {
      in_string = true;
    } else if (c == '{') {
      stack.push_back({i, 0});
    } else if (c == '}' && !stack.empty()) {
      const Open open = stack.back();
      stack.pop_back();
      const int depth = open.max_depth_below + 1;
      if (!stack.empty())
        stack.back().max_depth_below = std::max(stack.back().max_depth_below, depth);
      // Spans close inner-first: everything already recorded that starts inside this one
      // is nested in it and no longer outermost.
      while (!spans.empty() && spans.back().begin > open.pos) spans.pop_back();
      spans.push_back({open.pos, i + 1, depth});
    }
  }
  return spans;
}

struct FoundObject {
  Span span;
  Json value;
};

// The outermost spans of `region` that parse as JSON objects, in order (at most `limit`).
std::vector<FoundObject> ObjectsIn(std::string_view region, size_t limit) {
  std::vector<FoundObject> found;
  for (const Span& s : OutermostSpans(region)) {
    if (found.size() >= limit) break;
    if (s.depth > kExtractJsonMaxDepth) continue;
    try {
      Json value = Json::parse(region.substr(s.begin, s.end - s.begin));
      if (value.is_object()) found.push_back({s, std::move(value)});
    } catch (const Json::exception&) {
      // Balanced but not JSON (or a number out of range): not a match; go on after it.
    }
  }
  return found;
}

std::optional<Json> FirstObjectIn(std::string_view region) {
  auto found = ObjectsIn(region, 1);
  if (found.empty()) return std::nullopt;
  return std::move(found.front().value);
}

struct Fence {
  std::string_view info;     // the word after ``` ("json", "" ...)
  std::string_view content;  // between the info line and the closing ```
};

// Fenced blocks in order. A fence opens with ``` and an optional info string up to the end
// of its line; it closes at the next ```. An unclosed fence runs to the end of the text.
// A ``` inside a bare JSON object of the text (`objects`: inside one of its strings) is
// not a fence: the answer is that object, which happens to quote a fence.
std::vector<Fence> Fences(std::string_view text, const std::vector<FoundObject>& objects) {
  std::vector<Fence> fences;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("```", pos);
    for (const FoundObject& o : objects) {
      if (open != std::string_view::npos && open > o.span.begin && open < o.span.end)
        open = text.find("```", o.span.end);
    }
    if (open == std::string_view::npos) break;
    size_t info_begin = open + 3;
    size_t line_end = text.find('\n', info_begin);
    size_t close = text.find("```", info_begin);
    size_t content_begin;
    std::string_view info;
    if (line_end != std::string_view::npos &&
        (close == std::string_view::npos || line_end < close)) {
      info = text.substr(info_begin, line_end - info_begin);
      content_begin = line_end + 1;
    } else {
      content_begin = info_begin;  // ```{"a":1}``` on one line
    }
    while (!info.empty() && (info.back() == ' ' || info.back() == '\r' || info.back() == '\t'))
      info.remove_suffix(1);
    while (!info.empty() && (info.front() == ' ' || info.front() == '\t')) info.remove_prefix(1);
    close = text.find("```", content_begin);
    const size_t content_end = close == std::string_view::npos ? text.size() : close;
    fences.push_back({info, text.substr(content_begin, content_end - content_begin)});
    if (close == std::string_view::npos) break;
    pos = close + 3;
  }
  return fences;
}

bool IsJsonInfo(std::string_view info) {
  if (info.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((info[i] | 0x20) != "json"[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<Json> ExtractJson(std::string_view text) {
  std::vector<FoundObject> bare = ObjectsIn(text, SIZE_MAX);
  const std::vector<Fence> fences = Fences(text, bare);
  for (const Fence& f : fences) {
    if (!IsJsonInfo(f.info)) continue;
    if (auto v = FirstObjectIn(f.content)) return v;
  }
  for (const Fence& f : fences) {
    if (IsJsonInfo(f.info)) continue;
    if (auto v = FirstObjectIn(f.content)) return v;
  }
  if (bare.empty()) return std::nullopt;
  return std::move(bare.front().value);
}

Json ExtractJsonAnswer(std::string_view text) {
  auto v = ExtractJson(text);
  Json out = Json::object();
  out["matched"] = v.has_value();
  out["value"] = v ? std::move(*v) : Json(nullptr);
  return out;
}

}  // namespace lakehouse
