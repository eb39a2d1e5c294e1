// src/validate/validators.h: the Fill, Email and Playbook validators (SPEC "Validators").
//
// No model output reaches a coordinator before it passes these. Each validator checks a
// JSON payload against the roster, the order and the fills ledger, and returns every
// error it finds (not just the first), so the iterate loop can hand the model one complete
// list to fix. Each error has one kind:
//   Schema       shape, type, required field
//   Consistency  contradicts the roster, the order or the ledger
//   Policy       allowed by the data but forbidden by a rule (dnr, radius, PII, phrases)
//   Parse        no JSON in the model output (raised by the iterate loop)
// and goes on the wire as {"<Kind>": {"field": "...", "reason": "..."}} (the seed's Rust
// serde-tagged enum, chosen for cutover).
//
// Rules per kind are listed in RulesText(), which is also what the iterate loop gives the
// model as instructions, so the prompt and the checks cannot drift apart.
//
// Thread-safety: Validators is immutable after construction; Validate may run concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "validate/roster.h"

namespace lakehouse {

enum class ErrorKind { kSchema, kConsistency, kPolicy, kParse };
std::string_view ErrorKindName(ErrorKind kind);

struct ValidationError {
  ErrorKind kind;
  std::string field;
  std::string reason;
  //! {"Schema": {"field": "...", "reason": "..."}}
  Json ToJson() const;
};

struct Verdict {
  std::vector<ValidationError> errors;
  bool valid() const { return errors.empty(); }
  Json ErrorsJson() const;
  //! {"valid": bool, "errors": [...]}: the /v1/validate answer.
  Json ToJson() const;
};

struct ValidatorOptions {
  double radius_miles = 50;
  size_t subject_max_chars = 150;
  size_t body_min_chars = 40;
  size_t body_max_chars = 5000;
  size_t playbook_max_steps = 32;
  //! Case-insensitive phrases an outreach email must not contain (Policy); defaults below
  //! plus validate.forbidden_phrases from the config.
  std::vector<std::string> forbidden_phrases;
  static std::vector<std::string> DefaultForbiddenPhrases();
};

//! The kinds /v1/validate accepts: "fill", "email", "playbook".
bool IsValidatorKind(std::string_view kind);

//! The playbook tools and their required arguments, in a stable order.
struct PlaybookTool {
  std::string_view name;
  std::vector<std::string_view> required_args;
  std::string_view purpose;
};
const std::vector<PlaybookTool>& PlaybookTools();

//! One `_kb/validations.jsonl` line (validation.v1; fields in docs/KB.md). `origin` is
//! "validate" (POST /v1/validate) or "iterate" (an attempt of a run, named by run_id).
//! {workers, job_orders, fills}: the dataset versions a roster was built from (every _kb
//! line that carries a verdict records them).
Json RosterVersionsJson(const RosterStats& roster);

Json ValidationKbRecord(std::string_view kind, const Json& payload, const Verdict& verdict,
                        const RosterStats& roster, std::string_view origin,
                        std::string_view request_id, std::string_view run_id, int64_t elapsed_us);

struct FillCandidate {
  uint32_t worker;  // roster index
  double miles;     // to the order
};

class Validators {
 public:
  explicit Validators(ValidatorOptions options = {});
  const ValidatorOptions& options() const { return options_; }

  //! Validates `payload` as `kind`. InvalidArgument for an unknown kind or a payload that
  //! is not an object (the caller's mistake, not the payload's).
  Result<Verdict> Validate(const Roster& roster, std::string_view kind, const Json& payload) const;

  Verdict Fill(const Roster& roster, const Json& payload) const;
  Verdict Email(const Roster& roster, const Json& payload) const;
  Verdict Playbook(const Json& payload) const;

  //! Workers who pass every per-worker Fill rule for `order` (role, active, available,
  //! shift, certifications, radius, not booked on overlapping dates), best first: nearest,
  //! then higher rating, then higher reliability, then worker_id. Used by the `local`
  //! planner and as retrieval context in iterate prompts.
  std::vector<FillCandidate> FillCandidates(const Roster& roster, const OrderRecord& order) const;

  //! The rules of `kind` as instructions for a model (bullet list, plain text).
  std::string RulesText(std::string_view kind) const;

 private:
  ValidatorOptions options_;
};

}  // namespace lakehouse
