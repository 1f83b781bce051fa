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
 * rule), or on one purged.  SB_eff(P): SB of latest(P) (latest-insurer rule).
 */
DvPersonState
dv_person_state(const DvEnrollmentFacts *e, int n, bool nd_retained)
{
	DvPersonState s = {-1, nd_retained, false};

	for (int i = 0; i < n; i++)
	{
		if (e[i].nd)
			s.nd_eff = true;
		if (s.latest < 0 || dv_enrollment_is_later(&e[i], &e[s.latest]))
			s.latest = i;
	}
	if (s.latest >= 0)
		s.sb_eff = e[s.latest].sb;
	return s;
}

bool
dv_hide_address(bool nd_eff, bool sb_eff)
{
	return nd_eff || sb_eff;
}

/* Rows 1 and 4: SB_eff means "no answer" (回答なし); ND has no effect. */
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
