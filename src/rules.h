/*
 * rules.h — the flag rules of RULES.md §2 and the per-path decisions of §3,
 * each defined once.  Pure C: the server code feeds them facts read from the
 * tables, the unit test feeds them the worked examples of §4.
 */
#ifndef DVFLAG_RULES_H
#define DVFLAG_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* What the rules need to know of one enrollment. Dates are day numbers. */
typedef struct DvEnrollmentFacts
{
	int64_t		id;				/* registration order: greater = later */
	int32_t		acquired_on;
	bool		lost;			/* lost_on is set */
	int32_t		lost_on;
	bool		nd;
	bool		sb;
} DvEnrollmentFacts;

/* The effective state of one person P. */
typedef struct DvPersonState
{
	int			latest;			/* index of latest(P) in the input, -1 if none */
	bool		nd_eff;
	bool		sb_eff;
	int			carried;		/* index of the enrollment whose SB SB_eff(P)
								 * carries over a move, -1 if none (1.3) */
} DvPersonState;

/* Is a later than b in the order that defines latest(P)? */
bool		dv_enrollment_is_later(const DvEnrollmentFacts *a,
								   const DvEnrollmentFacts *b);

/*
 * The effective flags of P from all of P's enrollments.  nd_retained says
 * an enrollment with ND was purged: purging never weakens protection.
 * sb_origin is the id of the enrollment whose SB made SB_eff(P) true before
 * the change (the latest, or the one carried), 0 if SB_eff(P) was false: a
 * move carries SB over (RULES.md §2, §5), so SB_eff(P) stays true while that
 * enrollment is P's and has SB, whatever became latest(P), until the latest
 * has SB of its own.  0 gives the rule of 1.2, which knew no carrying.
 */
DvPersonState dv_person_state(const DvEnrollmentFacts *e, int n,
							  bool nd_retained, int64_t sb_origin);

/* The id of the enrollment whose SB SB_eff(P) comes from, 0 if none. */
int64_t		dv_sb_origin(const DvEnrollmentFacts *e, DvPersonState s);

/* hide_address(P) = ND_eff(P) OR SB_eff(P). */
bool		dv_hide_address(bool nd_eff, bool sb_eff);

/* §3 rows 1, 3 and 4: is anything at all shown for P on the card paths? */
bool		dv_card_paths_answer(bool sb_eff);

/* §3 row 2: is enrollment E shown in the portal's self-information? */
bool		dv_self_info_shows(bool sb_own);

/* §3 row 7: may a card be bound to P? */
bool		dv_registration_allowed(bool sb_eff);

/*
 * §5 STEP4: does a card of P seen at 'seen_at' make enrollment E's SB look
 * due for clearing?  It does when it was seen after the flag was last set.
 * set_known false: that setting has been purged from the audit; the purge
 * deletes by age, so it is older than the oldest audit row left ('floor'),
 * and a card seen from then on came after it.  Times in any one unit.
 */
bool		dv_sb_due_for_clearing(bool sb, bool set_known, int64_t set_at,
								   bool floor_known, int64_t floor, int64_t seen_at);

/* §3 row 4: is E a current qualification on day 'today'? */
bool		dv_enrollment_is_current(int32_t acquired_on, bool lost,
									 int32_t lost_on, int32_t today);

/* §3 row 6: may an address fragment select P?  (no address oracle) */
bool		dv_address_fragment_counts(bool hide_address);

/*
 * §6, information provision.  An answer goes out automatically unless AR
 * is set on the enrollment or on the item at that insurer.
 */
bool		dv_answers_automatically(bool enrollment_ar, bool item_ar);

/*
 * §6: the non-disclosure mark a provision record must carry when the
 * provision completes: the requester's NDC, or ND on the enrollment or on
 * the item at that moment.
 */
bool		dv_mark_required(bool ndc, bool enrollment_nd, bool item_nd);

/* What the person answering asks for the mark (manual answers only). */
typedef enum DvMarkChoice
{
	DV_MARK_AS_REQUIRED,		/* no choice: the mark follows the flags */
	DV_MARK_ADD,				/* mark it, required or not */
	DV_MARK_REMOVE				/* no mark, even where ND requires one */
} DvMarkChoice;

/* How a completion's mark was decided. */
typedef enum DvMarkDecision
{
	DV_MARK_SET,				/* the record is marked */
	DV_MARK_UNSET,				/* the record is not marked */
	DV_MARK_OVERRIDDEN,			/* ND required a mark; an override removed it */
	DV_MARK_REFUSED_NDC,		/* removing the requester's NDC: refused */
	DV_MARK_NEEDS_REASON		/* removing ND's mark without a reason: refused */
} DvMarkDecision;

DvMarkDecision dv_decide_mark(bool ndc, bool enrollment_nd, bool item_nd,
							  DvMarkChoice choice, bool override_reason_given);

/*
 * §3 row 3: is a provision record shown in the portal's exchange history?
 * Only a record that completed normally (provided) and carries no mark,
 * whether set at completion or appended later.
 */
bool		dv_exchange_shown(bool provided, bool marked_at_completion,
							  bool mark_appended);

/*
 * §3a, health information: the paths that show it and the kinds of it.
 * The paths read the person's flags (dvflag.person) and ask these.
 */
typedef enum DvHealthPath
{
	DV_HEALTH_PORTAL,			/* row 1: the person or a proxy, by card */
	DV_HEALTH_CLINIC,			/* row 2: a clinic or pharmacy with the card */
	DV_HEALTH_DISASTER			/* row 4: disaster mode, by an enrollment */
} DvHealthPath;

typedef enum DvHealthKind
{
	DV_HEALTH_MEDICATION,		/* 薬剤情報 */
	DV_HEALTH_CHECKUP,			/* 特定健診情報等 */
	DV_HEALTH_MEDICAL_FEE,		/* 医療費通知情報 */
	DV_HEALTH_KINDS
} DvHealthKind;

/* The kinds as dvflag.health_record.kind spells them, in DvHealthKind order. */
extern const char *const dv_health_kind_names[DV_HEALTH_KINDS];

/* §3a: is every read on the path audited? */
bool		dv_health_audited(DvHealthPath path);

/* §3a: does the path refuse a call without the patient's consent? */
bool		dv_health_needs_consent(DvHealthPath path);

/* §3a: does the path show this kind at all? */
bool		dv_health_kind_served(DvHealthPath path, DvHealthKind kind);

/* §3a: is anything at all shown for P on the path? */
bool		dv_health_answers(DvHealthPath path, bool sb_eff);

/* §3a: is the institution's name shown on the path? */
bool		dv_health_shows_institution_name(DvHealthPath path);

/* §3a: is the institution's code shown on the path for P? */
bool		dv_health_shows_institution_code(DvHealthPath path, bool hide_address);

#endif
