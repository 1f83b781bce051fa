/*
 * rules.c — RULES.md §2 and the path decisions of §3, once each.
 *
 * Every access path and the per-person summary maintained by triggers call
 * these functions; no SQL restates them.  They are total functions of their
 * inputs: no state, no allocation, no server calls.
 */
#include "rules.h"

/*
 * latest(P) order: greater acquired_on; on a tie the one still current
 * (lost_on unset), then the greater lost_on, then the one registered last
 * (greater id).  ids are unique, so the order is total and two sessions
 * reading the same rows always agree.
 */
bool
dv_enrollment_is_later(const DvEnrollmentFacts *a, const DvEnrollmentFacts *b)
{
	if (a->acquired_on != b->acquired_on)
		return a->acquired_on > b->acquired_on;
	if (a->lost != b->lost)
		return !a->lost;
	if (a->lost && a->lost_on != b->lost_on)
		return a->lost_on > b->lost_on;
	return a->id > b->id;
}

/*
 * ND_eff(P): ND on any enrollment of P, past or present (any-past-insurer
 * rule), or on one purged.  SB_eff(P): SB of latest(P) (latest-insurer rule),
 * or, since 1.3, the SB that a move carried over: the SB of the enrollment
 * that gave SB_eff(P) before the change, while it is still P's and still has
 * SB, until latest(P) has SB of its own (RULES.md §2, §5).  A new insurer's
 * enrollment never lifts a protection it cannot see.
 */
DvPersonState
dv_person_state(const DvEnrollmentFacts *e, int n, bool nd_retained, int64_t sb_origin)
{
	DvPersonState s = {-1, nd_retained, false, -1};

	for (int i = 0; i < n; i++)
	{
		if (e[i].nd)
			s.nd_eff = true;
		if (s.latest < 0 || dv_enrollment_is_later(&e[i], &e[s.latest]))
			s.latest = i;
	}
	if (s.latest < 0)
		return s;
	s.sb_eff = e[s.latest].sb;
	if (s.sb_eff || sb_origin == 0)
		return s;
	for (int i = 0; i < n; i++)
		if (e[i].id == sb_origin && e[i].sb)
		{
			s.sb_eff = true;
			s.carried = i;
		}
	return s;
}

int64_t
dv_sb_origin(const DvEnrollmentFacts *e, DvPersonState s)
{
	if (!s.sb_eff)
		return 0;
	return e[s.carried >= 0 ? s.carried : s.latest].id;
}

bool
dv_hide_address(bool nd_eff, bool sb_eff)
{
	return nd_eff || sb_eff;
}

/* Rows 1, 3 and 4: SB_eff means "no answer" (回答なし); ND has no effect. */
bool
dv_card_paths_answer(bool sb_eff)
{
	return !sb_eff;
}

/* Row 2: the per-insurer rule, SB_own(E). */
bool
dv_self_info_shows(bool sb_own)
{
	return !sb_own;
}

/* Row 7: initial registration is refused while SB_eff holds. */
bool
dv_registration_allowed(bool sb_eff)
{
	return !sb_eff;
}

/* §5: a re-issued card seen after the flag was set (再交付後の解除忘れ). */
bool
dv_sb_due_for_clearing(bool sb, bool set_known, int64_t set_at,
					   bool floor_known, int64_t floor, int64_t seen_at)
{
	if (!sb)
		return false;
	if (set_known)
		return seen_at > set_at;
	return floor_known && seen_at >= floor;
}

/* 資格喪失日 is the first day without the qualification. */
bool
dv_enrollment_is_current(int32_t acquired_on, bool lost, int32_t lost_on,
						 int32_t today)
{
	return acquired_on <= today && (!lost || lost_on > today);
}

/* A protected address must never be confirmed by trying fragments. */
bool
dv_address_fragment_counts(bool hide_address)
{
	return !hide_address;
}

/* §6: AR on the enrollment or on the item stops the automatic answer. */
bool
dv_answers_automatically(bool enrollment_ar, bool item_ar)
{
	return !(enrollment_ar || item_ar);
}

/* §6: NDC, or ND on the enrollment or the item when the provision completes. */
bool
dv_mark_required(bool ndc, bool enrollment_nd, bool item_nd)
{
	return ndc || enrollment_nd || item_nd;
}

/*
 * §6: a manual answer may add the mark; it may remove a mark that ND
 * requires only with an override and its reason; the requester's NDC is
 * theirs and is never removed by the provider.
 */
DvMarkDecision
dv_decide_mark(bool ndc, bool enrollment_nd, bool item_nd, DvMarkChoice choice,
			   bool override_reason_given)
{
	bool		required = dv_mark_required(ndc, enrollment_nd, item_nd);

	switch (choice)
	{
		case DV_MARK_ADD:
			return DV_MARK_SET;
		case DV_MARK_REMOVE:
			if (ndc)
				return DV_MARK_REFUSED_NDC;
			if (!required)
				return DV_MARK_UNSET;
			return override_reason_given ? DV_MARK_OVERRIDDEN : DV_MARK_NEEDS_REASON;
		case DV_MARK_AS_REQUIRED:
			break;
	}
	return required ? DV_MARK_SET : DV_MARK_UNSET;
}

/* §3 row 3 and §6: completed normally and unmarked, or not shown at all. */
bool
dv_exchange_shown(bool provided, bool marked_at_completion, bool mark_appended)
{
	return provided && !marked_at_completion && !mark_appended;
}

/* §3a: the three kinds, as the table spells them. */
const char *const dv_health_kind_names[DV_HEALTH_KINDS] = {
	"medication", "checkup", "medical_fee"
};

/* Every clinic and disaster read of health information is audited. */
bool
dv_health_audited(DvHealthPath path)
{
	return path != DV_HEALTH_PORTAL;
}

/* A clinic or disaster read needs the consent given at the counter (seed 002 p.3 ※2). */
bool
dv_health_needs_consent(DvHealthPath path)
{
	return path != DV_HEALTH_PORTAL;
}

/* Medical-fee notices are shown on the portal only (seed 002 p.3, p.12). */
bool
dv_health_kind_served(DvHealthPath path, DvHealthKind kind)
{
	return kind != DV_HEALTH_MEDICAL_FEE || path == DV_HEALTH_PORTAL;
}

/*
 * SB_eff, the latest-insurer rule, governs health information as it does
 * qualifications on the card paths (seed 002 §1-5); in a disaster, care
 * comes first and the records are shown despite it.
 */
bool
dv_health_answers(DvHealthPath path, bool sb_eff)
{
	bool		care_first = path == DV_HEALTH_DISASTER;

	return care_first || dv_card_paths_answer(sb_eff);
}

/* The name of an institution: on the portal only (seed 002 p.12). */
bool
dv_health_shows_institution_name(DvHealthPath path)
{
	return path == DV_HEALTH_PORTAL;
}

/*
 * The code of an institution says where the person is treated: off the
 * portal it is hidden wherever the address would be (ND_eff or SB_eff).
 */
bool
dv_health_shows_institution_code(DvHealthPath path, bool hide_address)
{
	return path == DV_HEALTH_PORTAL || !hide_address;
}
