// LazyText: an Event slot whose text a parser may hand over still encoded (a
// JSON string body with escapes) and that is decoded on its first read, so
// events whose detectors never read the slot skip the decoding.
//
// Reading is the only way to the text: view() and the conversion to
// std::string_view both decode first, so a consumer cannot see the encoded
// form. The decoded view lives as long as the Event's other views (the parser
// decodes into its own arena, which it resets only at the next message).
//
// Plain text converts implicitly (`event.message = some_view;`), so parsers
// that have the text already assign it as before.
//
// REQUIRES of a decoder: it cannot fail (the parser validates the encoding
// before it defers), and it returns empty text exactly for empty input, so
// empty() never needs to decode.
//
// Thread-safety: none, like Event: the first read writes the decoded view.
#pragma once

#include <string_view>

namespace loghunt {

class LazyText {
 public:
  // Decodes `encoded` using `context` (the parser); called at most once per slot.
  using Decoder = std::string_view (*)(void* context, std::string_view encoded);

  LazyText() = default;
  LazyText(std::string_view text) : text_(text) {}  // NOLINT(google-explicit-constructor)
  LazyText(std::string_view encoded, Decoder decoder, void* context)
      : text_(encoded), decoder_(decoder), context_(context) {}

  // The decoded text (decoding it on the first call).
  std::string_view view() const {
    if (decoder_ != nullptr) [[unlikely]] {
      text_ = decoder_(context_, text_);
      decoder_ = nullptr;
    }
    return text_;
  }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)

  // Never decodes.
  bool empty() const { return text_.empty(); }
  // False while the text is still encoded (for tests and benchmarks).
  bool decoded() const { return decoder_ == nullptr; }

 private:
  mutable std::string_view text_;
  mutable Decoder decoder_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace loghunt
