/*
 * unit_test.c — the pure C rules, folding and check digit, driven by the
 * worked examples of RULES.md §4 and the tie-breaks of §2.  Prints TAP.
 */
#include <stdio.h>
#include <string.h>

#include "checkdigit.h"
#include "fold.h"
#include "rules.h"

static int	test_no = 0;
static int	failures = 0;

static void
ok(int cond, const char *what)
{
	test_no++;
	if (!cond)
		failures++;
	printf("%sok %d - %s\n", cond ? "" : "not ", test_no, what);
}

/* fold(a) == fold(b)? */
static int
same(const char *a, const char *b)
{
	char		fa[512],
				fb[512];
	size_t		na = dv_fold(a, strlen(a), fa),
				nb = dv_fold(b, strlen(b), fb);

	return na == nb && memcmp(fa, fb, na) == 0;
}

/* fold(a) is exactly expected? */
static int
folds_to(const char *a, const char *expected)
{
	char		f[512];
	size_t		n = dv_fold(a, strlen(a), f);

	return n == strlen(expected) && memcmp(f, expected, n) == 0;
}

/* day numbers are enough for the rules: only their order matters */
#define D(y, m, d) ((int32_t) ((y) * 372 + (m) * 31 + (d)))

static DvEnrollmentFacts
E(int64_t id, int32_t acquired, int lost, int32_t lost_on, int nd, int sb)
{
	DvEnrollmentFacts e = {id, acquired, lost != 0, lost_on, nd != 0, sb != 0};

	return e;
}

/*
 * RULES.md §4: a person who moved A (2010-2016) -> B (2016-2021) -> C
 * (2021-, current), with ND and SB on the enrollment at the given insurer
 * (0 A, 1 B, 2 C; -1 none).
 */
static void
moved_abc(int nd_at, int sb_at, DvEnrollmentFacts e[3])
{
	int32_t		start[4] = {D(2010, 4, 1), D(2016, 4, 1), D(2021, 4, 1), 0};

	for (int i = 0; i < 3; i++)
		e[i] = E(i + 1, start[i], i < 2, start[i + 1], nd_at == i, sb_at == i);
}

int
main(void)
{
	/* ---- folding ---- */
	ok(same("ヤマダ ハナコ", "やまだ　はなこ"), "hiragana with U+3000 folds like katakana with a space");
	ok(same("ヤマダハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ"), "half-width katakana with a voiced mark folds to full width");
	ok(folds_to("ｶﾞｷﾞｸﾞｹﾞｺﾞ", "ガギグゲゴ"), "half-width voiced K row composes");
	ok(folds_to("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ"), "half-width semi-voiced H row composes");
	ok(folds_to("ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ", "バビブベボ"), "half-width voiced H row composes");
	ok(folds_to("ｳﾞ", "ヴ"), "half-width vu composes");
	ok(folds_to("ﾂﾞﾃﾞﾄﾞ", "ヅデド"), "tsu, te, to take the voiced mark");
	ok(folds_to("か\xE3\x82\x99", "ガ"), "combining voiced mark U+3099 composes");
	ok(folds_to("は\xE3\x82\x9A", "パ"), "combining semi-voiced mark U+309A composes");
	ok(folds_to("ア\xE3\x82\x99", "ア゛"), "a mark after a kana that takes none stays, as a spacing mark");
	ok(folds_to("ＡＢＣ１２３", "abc123"), "full-width ASCII becomes lower-case ASCII");
	ok(folds_to(" \t\xE3\x80\x80\xC2\xA0", ""), "blanks, U+3000 and U+00A0 vanish");
	ok(folds_to("\xE2\x80\x83\xE2\x80\x8B\xEF\xBB\xBF\xE2\x80\xAF\xC2\x85\xE1\x9A\x80", ""),
	   "EM SPACE, zero width space, BOM, narrow no-break space, NEL and U+1680 vanish too");
	ok(same("ヤマダ\xE2\x80\x83ハナコ", "やまだ　はなこ"), "a name typed with an EM SPACE matches one with U+3000");
	{
		char		out[64];
		const char *s = "ヤマダ\xE2\x80\x83ハナ　コ";

		ok(dv_fold_1_0(s, strlen(s), out) == strlen("ヤマダ\xE2\x80\x83ハナコ") &&
		   memcmp(out, "ヤマダ\xE2\x80\x83ハナコ", strlen("ヤマダ\xE2\x80\x83ハナコ")) == 0,
		   "1.0's folding drops U+3000 but keeps an EM SPACE (what 1.0's indexes were built with)");
	}
	ok(folds_to("ｰ", "ー"), "half-width prolonged sound mark");
	ok(folds_to("％＿＼", "%_\\"), "LIKE wildcards stay plain characters");
	ok(folds_to("東京都", "東京都"), "kanji unchanged");
	ok(!same("ヤマダ", "ヤマタ"), "a voiced mark is not ignored");
	ok(!same("ツ", "ッ"), "small kana stay distinct");
	{
		const char bad[] = "\xFF\xE3\x81";	/* invalid, then a cut sequence */
		char		out[8];

		ok(dv_fold(bad, 3, out) == 3 && memcmp(out, bad, 3) == 0,
		   "invalid UTF-8 is copied through, never read past its end");
	}
	{
		char		out[512];
		const char *s = "ﾊﾟﾊﾟ　ＡＢ ひらがな";

		ok(dv_fold(s, strlen(s), out) <= strlen(s), "output never outgrows input");
	}
	ok(dv_utf8_chars("大阪", strlen("大阪")) == 2, "characters are counted, not bytes");
	ok(dv_contains("abc%def", 7, "c%d", 3) && !dv_contains("abcdef", 6, "c%d", 3),
	   "contains is plain text: % matches only itself");
	ok(!dv_contains("ab", 2, "abc", 3), "a needle longer than the haystack is not found");

	/* ---- check digit ---- */
	ok(dv_insurer_no_problem("01130012", 8) == DV_INSURER_NO_OK, "01130012 is valid");
	ok(dv_insurer_no_problem("01010016", 8) == DV_INSURER_NO_OK, "01010016 is valid");
	ok(dv_insurer_no_problem("06132013", 8) == DV_INSURER_NO_OK, "06132013 is valid (7x2 counts 1+4)");
	ok(dv_insurer_no_problem("01130013", 8) == DV_INSURER_NO_CHECK_DIGIT, "a wrong check digit is caught");
	ok(dv_insurer_no_problem("131136", 6) == DV_INSURER_NO_OK, "6 digits: municipal NHI");
	ok(dv_insurer_no_problem("1234567", 7) == DV_INSURER_NO_LENGTH, "7 digits is a length problem");
	ok(dv_insurer_no_problem("0113001a", 8) == DV_INSURER_NO_NOT_DIGITS, "a letter is not a digit");
	ok(dv_insurer_no_problem("", 0) == DV_INSURER_NO_LENGTH, "empty is a length problem");
	ok(dv_insurer_no_problem("０１１３００１２", strlen("０１１３００１２")) == DV_INSURER_NO_NOT_DIGITS,
	   "full-width digits are not digits (whatever their byte length)");
	ok(dv_insurer_check_digit("0127001") == 6, "check digit of 0127001 is 6");

	/* ---- latest(P) and its tie-breaks ---- */
	{
		DvEnrollmentFacts a = E(1, D(2020, 1, 1), 0, 0, 0, 0);
		DvEnrollmentFacts b = E(2, D(2021, 1, 1), 1, D(2022, 1, 1), 0, 0);

		ok(dv_enrollment_is_later(&b, &a) && !dv_enrollment_is_later(&a, &b),
		   "greater acquired_on is later, even when lost");
	}
	{
		DvEnrollmentFacts cur = E(1, D(2020, 1, 1), 0, 0, 0, 0);
		DvEnrollmentFacts lost = E(2, D(2020, 1, 1), 1, D(2020, 6, 1), 0, 0);

		ok(dv_enrollment_is_later(&cur, &lost) && !dv_enrollment_is_later(&lost, &cur),
		   "tie on acquired_on: the current one is later");
	}
	{
		DvEnrollmentFacts l1 = E(1, D(2020, 1, 1), 1, D(2021, 1, 1), 0, 0);
		DvEnrollmentFacts l2 = E(2, D(2020, 1, 1), 1, D(2020, 6, 1), 0, 0);

		ok(dv_enrollment_is_later(&l1, &l2), "tie, both lost: greater lost_on is later");
	}
	{
		DvEnrollmentFacts x = E(7, D(2020, 1, 1), 0, 0, 0, 0);
		DvEnrollmentFacts y = E(9, D(2020, 1, 1), 0, 0, 0, 0);

		ok(dv_enrollment_is_later(&y, &x) && !dv_enrollment_is_later(&x, &y),
		   "full tie: the one registered last (greater id) is later");
	}
	{
		DvEnrollmentFacts e[2] = {E(9, D(2020, 1, 1), 0, 0, 0, 1), E(7, D(2020, 1, 1), 0, 0, 0, 0)};
		DvEnrollmentFacts r[2] = {e[1], e[0]};

		ok(dv_person_state(e, 2, false, 0).sb_eff && dv_person_state(r, 2, false, 0).sb_eff,
		   "latest does not depend on the order rows are read in");
	}

	/* ---- RULES.md §4, A -> B -> C ---- */
	{
		DvEnrollmentFacts sb_b[3], sb_c[3], nd_b[3], nd_a[3], none[3];
		DvPersonState s;

		moved_abc(-1, 1, sb_b);
		moved_abc(-1, 2, sb_c);
		moved_abc(1, -1, nd_b);
		moved_abc(0, -1, nd_a);
		moved_abc(-1, -1, none);
		s = dv_person_state(sb_b, 3, false, 0);
		ok(s.latest == 2 && !s.sb_eff && !s.nd_eff, "SB at B: SB_eff is false, C is latest");
		ok(dv_card_paths_answer(s.sb_eff) && !dv_hide_address(s.nd_eff, s.sb_eff) &&
		   dv_registration_allowed(s.sb_eff), "SB at B: provided everywhere, address shown, registration allowed");
		ok(dv_self_info_shows(sb_b[0].sb) && !dv_self_info_shows(sb_b[1].sb) && dv_self_info_shows(sb_b[2].sb),
		   "SB at B: self-information of B only is absent");

		s = dv_person_state(sb_c, 3, false, 0);
		ok(s.sb_eff && !dv_card_paths_answer(s.sb_eff), "SB at C: no answer on the card paths");
		ok(dv_hide_address(s.nd_eff, s.sb_eff) && !dv_registration_allowed(s.sb_eff),
		   "SB at C: address hidden, registration refused");
		ok(dv_self_info_shows(sb_c[0].sb) && dv_self_info_shows(sb_c[1].sb) && !dv_self_info_shows(sb_c[2].sb),
		   "SB at C: self-information of C only is absent");

		s = dv_person_state(nd_b, 3, false, 0);
		ok(s.nd_eff && !s.sb_eff && dv_card_paths_answer(s.sb_eff) && dv_hide_address(s.nd_eff, s.sb_eff) &&
		   dv_registration_allowed(s.sb_eff), "ND at B: provided, address hidden, registration allowed");

		s = dv_person_state(nd_a, 3, false, 0);
		ok(s.nd_eff && dv_hide_address(s.nd_eff, s.sb_eff) && dv_card_paths_answer(s.sb_eff),
		   "ND at A lost long ago: still hides the address (any past insurer)");

		s = dv_person_state(none, 3, false, 0);
		ok(!s.nd_eff && !s.sb_eff && !dv_hide_address(s.nd_eff, s.sb_eff), "no flags: nothing hidden");

		s = dv_person_state(none, 3, true, 0);
		ok(s.nd_eff, "ND of a purged enrollment still counts");
		s = dv_person_state(none, 0, false, 0);
		ok(s.latest == -1 && !s.sb_eff && !s.nd_eff, "a person with no enrollment has no flags");
	}

	/* ---- a move carries SB over (RULES.md §2, §5; 1.3) ---- */
	{
		int32_t		b0 = D(2016, 4, 1), c0 = D(2021, 4, 1), d0 = D(2025, 4, 1);
		/* SB at C, the latest; then D enrolls the person, later */
		DvEnrollmentFacts before[2] = {E(2, b0, 1, c0, 0, 0), E(3, c0, 0, 0, 0, 1)};
		DvEnrollmentFacts moved[3] = {E(2, b0, 1, c0, 0, 0), E(3, c0, 1, d0, 0, 1), E(4, d0, 0, 0, 0, 0)};
		DvEnrollmentFacts cleared[3] = {E(2, b0, 1, c0, 0, 0), E(3, c0, 1, d0, 0, 0), E(4, d0, 0, 0, 0, 0)};
		DvEnrollmentFacts kept[3] = {E(2, b0, 1, c0, 0, 0), E(3, c0, 1, d0, 0, 1), E(4, d0, 0, 0, 0, 1)};
		DvEnrollmentFacts removed[2] = {E(2, b0, 1, c0, 0, 0), E(4, d0, 0, 0, 0, 0)};
		DvPersonState s = dv_person_state(before, 2, false, 0);
		int64_t		origin = dv_sb_origin(before, s);

		ok(s.sb_eff && s.carried == -1 && origin == 3, "SB at the latest: SB_eff, from the latest itself");
		s = dv_person_state(moved, 3, false, origin);
		ok(s.latest == 2 && s.sb_eff && s.carried == 1 && dv_sb_origin(moved, s) == 3,
		   "a move: the new latest has no SB, SB_eff carries C's over");
		ok(!dv_person_state(moved, 3, false, 0).sb_eff, "the rule of 1.2 (no origin) let it lapse");
		s = dv_person_state(cleared, 3, false, 3);
		ok(!s.sb_eff && s.carried == -1, "C clears its SB: nothing is carried any more");
		s = dv_person_state(removed, 2, false, 3);
		ok(!s.sb_eff, "C's enrollment removed: nothing left to carry");
		s = dv_person_state(kept, 3, false, 3);
		ok(s.sb_eff && s.carried == -1 && dv_sb_origin(kept, s) == 4,
		   "D sets SB: its own governs, the carry is over");
		s = dv_person_state(before, 2, false, 2);
		ok(s.sb_eff && s.carried == -1, "an origin that is not SB's: the latest's own SB governs");
		s = dv_person_state(moved, 3, false, 2);
		ok(!s.sb_eff, "an origin without SB carries nothing");
	}

	/* ---- §3a health information, on the worked examples of §4 ---- */
	{
		DvEnrollmentFacts sb_b[3], sb_c[3], nd_b[3], nd_a[3], nd_c[3], none[3];
		DvPersonState s;
		bool		hide;

		moved_abc(-1, 1, sb_b);
		moved_abc(-1, 2, sb_c);
		moved_abc(1, -1, nd_b);
		moved_abc(0, -1, nd_a);
		moved_abc(2, -1, nd_c);
		moved_abc(-1, -1, none);
		s = dv_person_state(sb_b, 3, false, 0);
		hide = dv_hide_address(s.nd_eff, s.sb_eff);
		ok(dv_health_answers(DV_HEALTH_PORTAL, s.sb_eff) && dv_health_answers(DV_HEALTH_CLINIC, s.sb_eff) &&
		   dv_health_answers(DV_HEALTH_DISASTER, s.sb_eff),
		   "health, SB at B: records on the portal, the clinic and in disaster mode");
		ok(dv_health_shows_institution_code(DV_HEALTH_CLINIC, hide) &&
		   dv_health_shows_institution_code(DV_HEALTH_DISASTER, hide),
		   "health, SB at B: the institution code shows off the portal (the address would)");

		s = dv_person_state(sb_c, 3, false, 0);
		hide = dv_hide_address(s.nd_eff, s.sb_eff);
		ok(!dv_health_answers(DV_HEALTH_PORTAL, s.sb_eff), "health, SB at C: no record on the portal");
		ok(!dv_health_answers(DV_HEALTH_CLINIC, s.sb_eff), "health, SB at C: no record at the clinic");
		ok(dv_health_answers(DV_HEALTH_DISASTER, s.sb_eff),
		   "health, SB at C: in disaster mode the records are shown (care comes first)");
		ok(!dv_health_shows_institution_code(DV_HEALTH_DISASTER, hide),
		   "health, SB at C: but without the institution code in disaster mode");

		s = dv_person_state(nd_b, 3, false, 0);
		hide = dv_hide_address(s.nd_eff, s.sb_eff);
		ok(dv_health_answers(DV_HEALTH_PORTAL, s.sb_eff) && dv_health_answers(DV_HEALTH_CLINIC, s.sb_eff),
		   "health, ND at B: records on the portal and at the clinic");
		ok(dv_health_shows_institution_code(DV_HEALTH_PORTAL, hide) &&
		   !dv_health_shows_institution_code(DV_HEALTH_CLINIC, hide) &&
		   !dv_health_shows_institution_code(DV_HEALTH_DISASTER, hide),
		   "health, ND at B: the code on the portal only, hidden at the clinic and in disaster mode");

		s = dv_person_state(nd_a, 3, false, 0);
		ok(!dv_health_shows_institution_code(DV_HEALTH_CLINIC, dv_hide_address(s.nd_eff, s.sb_eff)),
		   "health, ND at A lost long ago: still hides the code at the clinic");
		s = dv_person_state(nd_c, 3, false, 0);
		ok(!dv_health_shows_institution_code(DV_HEALTH_CLINIC, dv_hide_address(s.nd_eff, s.sb_eff)) &&
		   dv_health_answers(DV_HEALTH_CLINIC, s.sb_eff),
		   "health, ND at C (the latest): records at the clinic, the code hidden");
		s = dv_person_state(none, 3, true, 0);
		ok(!dv_health_shows_institution_code(DV_HEALTH_CLINIC, dv_hide_address(s.nd_eff, s.sb_eff)),
		   "health, ND of a purged enrollment: still hides the code");

		s = dv_person_state(none, 3, false, 0);
		hide = dv_hide_address(s.nd_eff, s.sb_eff);
		ok(dv_health_shows_institution_code(DV_HEALTH_CLINIC, hide) &&
		   dv_health_shows_institution_code(DV_HEALTH_DISASTER, hide) &&
		   dv_health_shows_institution_code(DV_HEALTH_PORTAL, hide),
		   "health, no flags: the code shows everywhere");
	}
	ok(dv_health_shows_institution_name(DV_HEALTH_PORTAL) && !dv_health_shows_institution_name(DV_HEALTH_CLINIC) &&
	   !dv_health_shows_institution_name(DV_HEALTH_DISASTER),
	   "health: the institution's name on the portal only");
	ok(dv_health_shows_institution_code(DV_HEALTH_PORTAL, true),
	   "health: on the portal the code shows while ND_eff holds (as the address does there)");
	ok(dv_health_kind_served(DV_HEALTH_PORTAL, DV_HEALTH_MEDICAL_FEE) &&
	   !dv_health_kind_served(DV_HEALTH_CLINIC, DV_HEALTH_MEDICAL_FEE) &&
	   !dv_health_kind_served(DV_HEALTH_DISASTER, DV_HEALTH_MEDICAL_FEE),
	   "health: medical-fee notices on the portal only");
	ok(dv_health_kind_served(DV_HEALTH_CLINIC, DV_HEALTH_MEDICATION) &&
	   dv_health_kind_served(DV_HEALTH_CLINIC, DV_HEALTH_CHECKUP) &&
	   dv_health_kind_served(DV_HEALTH_DISASTER, DV_HEALTH_MEDICATION) &&
	   dv_health_kind_served(DV_HEALTH_DISASTER, DV_HEALTH_CHECKUP) &&
	   dv_health_kind_served(DV_HEALTH_PORTAL, DV_HEALTH_MEDICATION) &&
	   dv_health_kind_served(DV_HEALTH_PORTAL, DV_HEALTH_CHECKUP),
	   "health: medication and checkups on every path");
	ok(dv_health_needs_consent(DV_HEALTH_CLINIC) && dv_health_needs_consent(DV_HEALTH_DISASTER) &&
	   !dv_health_needs_consent(DV_HEALTH_PORTAL),
	   "health: the clinic and disaster mode need the patient's consent, the portal does not");
	ok(dv_health_audited(DV_HEALTH_CLINIC) && dv_health_audited(DV_HEALTH_DISASTER) &&
	   !dv_health_audited(DV_HEALTH_PORTAL),
	   "health: every clinic and disaster read is audited");
	ok(strcmp(dv_health_kind_names[DV_HEALTH_MEDICATION], "medication") == 0 &&
	   strcmp(dv_health_kind_names[DV_HEALTH_CHECKUP], "checkup") == 0 &&
	   strcmp(dv_health_kind_names[DV_HEALTH_MEDICAL_FEE], "medical_fee") == 0,
	   "health: the kinds as the table spells them");

	/* ---- current qualification, fragments ---- */
	ok(dv_enrollment_is_current(D(2020, 1, 1), 0, 0, D(2026, 1, 1)), "open enrollment is current");
	ok(!dv_enrollment_is_current(D(2020, 1, 1), 1, D(2026, 1, 1), D(2026, 1, 1)), "lost_on is the first day without it");
	ok(!dv_enrollment_is_current(D(2027, 1, 1), 0, 0, D(2026, 1, 1)), "a future acquisition is not current yet");
	ok(dv_address_fragment_counts(false) && !dv_address_fragment_counts(true),
	   "an address fragment never selects a person whose address is hidden");

	/* ---- §5 SB due for clearing ---- */
	ok(dv_sb_due_for_clearing(true, true, 100, true, 50, 101), "SB, a card seen after it was set: due");
	ok(!dv_sb_due_for_clearing(true, true, 100, true, 50, 100) && !dv_sb_due_for_clearing(true, true, 100, true, 50, 99),
	   "a card seen when or before SB was set is not a re-issued one");
	ok(!dv_sb_due_for_clearing(false, true, 100, true, 50, 101), "SB cleared: not due");
	ok(dv_sb_due_for_clearing(true, false, 0, true, 50, 50) && dv_sb_due_for_clearing(true, false, 0, true, 50, 60),
	   "SB whose setting was purged: a card seen since the oldest audit row left counts");
	ok(!dv_sb_due_for_clearing(true, false, 0, true, 50, 49),
	   "SB whose setting was purged: a card seen before the oldest audit row left may be older than the flag");
	ok(!dv_sb_due_for_clearing(true, false, 0, false, 0, 60), "nothing known of when SB was set: not due");

	/* ---- §6 information provision, §3 row 3 exchange history ---- */
	ok(dv_answers_automatically(false, false), "no AR: answered automatically");
	ok(!dv_answers_automatically(true, false) && !dv_answers_automatically(false, true),
	   "AR on the enrollment or on the item: the request waits for staff");
	ok(!dv_mark_required(false, false, false), "no NDC, no ND: no mark");
	ok(dv_mark_required(true, false, false) && dv_mark_required(false, true, false) &&
	   dv_mark_required(false, false, true), "NDC, ND on the enrollment or ND on the item: marked");
	ok(dv_decide_mark(false, false, false, DV_MARK_ADD, false) == DV_MARK_SET,
	   "a manual answer may add the mark");
	ok(dv_decide_mark(false, true, false, DV_MARK_REMOVE, false) == DV_MARK_NEEDS_REASON &&
	   dv_decide_mark(false, false, true, DV_MARK_REMOVE, false) == DV_MARK_NEEDS_REASON,
	   "removing the mark ND requires needs an override reason");
	ok(dv_decide_mark(false, true, true, DV_MARK_REMOVE, true) == DV_MARK_OVERRIDDEN,
	   "with the reason the override removes it");
	ok(dv_decide_mark(true, false, false, DV_MARK_REMOVE, true) == DV_MARK_REFUSED_NDC,
	   "the requester's NDC is never removed, not even with a reason");
	ok(dv_decide_mark(false, false, false, DV_MARK_REMOVE, false) == DV_MARK_UNSET &&
	   dv_decide_mark(false, false, false, DV_MARK_AS_REQUIRED, false) == DV_MARK_UNSET,
	   "no mark required: none set");
	ok(dv_decide_mark(false, true, false, DV_MARK_AS_REQUIRED, false) == DV_MARK_SET,
	   "by default the mark follows the flags");
	ok(dv_exchange_shown(true, false, false), "a normal, unmarked provision is shown");
	ok(!dv_exchange_shown(false, false, false), "a record that did not complete normally is never shown");
	ok(!dv_exchange_shown(true, true, false) && !dv_exchange_shown(true, false, true),
	   "a mark at completion or appended later hides it");

	printf("1..%d\n", test_no);
	return failures != 0;
}
