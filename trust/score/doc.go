// Package score computes a user's trust as in seed 004 (LI Bing-xu, WU
// Li-fa, ZHOU Zhen-ji, LI Hua-bo, "基于信任的云计算身份管理模型设计与实现",
// Design and Implementation of Trust-based Identity Management Model for
// Cloud Computing, Computer Science 41(9), 2014, §3.4), as docs/design.md §5
// distils it, together with two models to compare it with: Beta reputation
// (Jøsang and Ismail, "The Beta Reputation System", 15th Bled eConference,
// 2002) and ours, a repair of the paper's weight update. It is pure
// computation: no I/O, no clock, no randomness. Package trust (the identity
// provider) stores a State per user and groups users by Tier; package
// trust/sim runs the paper's experiments.
//
// # The paper's model (Params, State, Update)
//
// After each transaction a cloud service reports feedback T_c ∈ [0,1] and
// the identity provider computes
//
//	T = W_c·T_c + W_u·T_u + W_h·Σ_i T_ci·ω_ci,   ω_ci = W_c·e^(−t_i)
//
// with T_u the user's trust before the transaction (0.5 for a new user),
// T_ci the earlier feedbacks, t_i the number of transactions since
// feedback i, and initial weights W_u, W_c, W_h = 0.5, 0.25, 0.25. Then
// the weights are rewarded or punished with δ = 0.5:
//
//	|T_c − T| ≤ δ:  W_c ← W_c^(T_c − T)        otherwise  W_c ← W_c^(1/(T_c − T))
//
// "and the same for T_u", and T_u ← T. The users are grouped in four tiers:
// perfect [0.75,1], good [0.5,0.75), mediate [0.25,0.5), bad [0,0.25).
//
// # Steps of Update, in order
//
//  1. Refuse T_c outside [0,1] (ErrFeedback) or a state no update can
//     produce (ErrState); the argument is never modified.
//  2. T = W_c·T_c + W_u·T_u + W_h·Hist, with the weights of the state.
//  3. W_c ← adjust(W_c, T_c − T), W_u ← adjust(W_u, T_u − T); W_h kept.
//  4. Clamp each weight to [Floor, 1], then divide all three by their sum.
//  5. Hist ← e^(−1)·(Hist + W_c·T_c), with the W_c of step 2.
//  6. T_u ← T, N ← N + 1.
//
// Everything is O(1) per feedback: the history sum is kept decayed
// (TestHistIncremental proves it equal to the re-sum over a random history
// of 2,000 feedbacks to 1e-12), and a State is 48 bytes (49 encoded).
//
// # Where the paper is ambiguous, and what we chose
//
//   - Feedback range. §3.1 says T_c ∈ (0,1), §3.4 says [0,1]. We accept
//     [0,1]: a service must be able to report "completely malicious" (0),
//     and nothing in the formula needs the open interval.
//   - What the history sums over. "T_h is other services' historical
//     feedback", and T_h = 0 for a new user, so the sum runs over earlier
//     feedback only; the current T_c enters through W_c·T_c. The previous
//     feedback has t = 1: at its own transaction (t = 0) it was weighted
//     W_c as T_c, and ω = W_c·e^(−t) decays from there.
//   - Which W_c in ω. "C is the weight at t_0, i.e. W_c": the W_c in force
//     when feedback i was given (the one used to compute that T), not
//     today's. This also makes the sum incremental.
//   - Which weights are rewarded or punished. The paper rewards "the cloud
//     service that gave the feedback" through W_c and treats T_u "likewise"
//     through |T_u − T|, so W_u follows the same rule with T_u − T. W_h has
//     no rule and is only renormalised. We do not apply the power to T_u
//     itself: the paper overwrites T_u with T at the end of the step.
//   - The exponent as printed. We apply W^(T_c−T) and W^(1/(T_c−T)) with the
//     signed difference, as printed. For T_c < T (the usual case, since
//     services under-report) both branches give W^(negative) > 1, and
//     T_c = T gives W^0 = 1: "rewards" that leave [0,1], which the paper
//     requires of every weight. We keep the rule and clamp (next item).
//   - Keeping W_c + W_u + W_h = 1. The paper states the constraint and
//     updates two of the weights independently, which breaks it. We clamp
//     each weight to [Floor, 1] (the paper's own range [0,1], with Floor =
//     1e-6 instead of 0 so that no weight can reach 0 and be raised to a
//     negative power, 0^(−x) = +Inf) and divide all three by their sum:
//     proportional renormalisation is the one rule that keeps the ratios
//     the reward/punish step produced and favours none of the three.
//   - Clamping T. With valid weights T is a convex combination of values in
//     [0,1] and Hist ≤ 1/(e−1) < 1, so T ∈ [0,1]; it is clamped only
//     against rounding.
//   - The tier of 0.5. The ranges above (half-open, boundary to the higher
//     tier) put 0.5 in "good", but the paper registers a new user at 0.5 in
//     "mediate" "for safety". State.Tier returns mediate for a new user
//     (N = 0) and TierOf(T) afterwards.
//
// # What the printed rule does (measured, see TestRawRuleBreaks and
// docs/trust.md)
//
// W_h is never rewarded, so every renormalisation by a sum above 1 shrinks
// it: without clamping it underflows to exactly 0 after about a thousand
// random feedbacks, and the history term is gone for good (with Floor it
// settles at about Floor/2). About half of all updates "reward" a weight
// above 1 (clamped), and the punish branch is almost never taken (never in
// 10^6 random feedbacks with the clamps): W_c and W_u both sit near 1 before
// renormalisation, so the model in practice is T ≈ (T_c + T_u)/2, an
// exponential moving average with rate ½. That is why it converges in a
// handful of transactions, as the paper reports.
//
// # Beta reputation (BetaParams, BetaState)
//
// r ← λ·r + T_c, s ← λ·s + (1 − T_c), trust E = (r+1)/(r+s+2), with
// forgetting factor λ = 0.8 by default; a new user has E = 0.5. Feedback in
// [0,1] is counted as fractional positive and negative evidence, as the
// paper of Jøsang and Ismail does for continuous ratings.
//
// # Ours (OursParams, OursState)
//
// The paper's T = W_c·T_c + W_u·T_u with W_u = 1 − W_c, where W_c is Trigg
// and Leach's tracking signal |E|/M (smoothed error over smoothed absolute
// error) clamped to [0.1, 0.9], and at least 0.5 when a feedback is more
// than one tier width (0.25) below T_u. See OursParams for the equations
// and docs/trust.md for the comparison.
//
// # Encoding
//
// State has one canonical binary encoding (MarshalBinary): 0x54, N, T,
// W_c, W_u, W_h, Hist (big-endian, IEEE 754), 49 bytes. UnmarshalBinary
// refuses a wrong kind or length, NaN, ±Inf, −0 and any state that Update
// could not produce; it is fuzzed (FuzzState) for round-trip equality.
package score
