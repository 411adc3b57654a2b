"""Every source a screening conclusion or a plan item cites, by a short id.

Taken from ``../shared/research/corrective.md`` (and ``biomechanics.md`` for the 2D angle error); nothing
here is cited that those notes do not cite (an empty ``url``: the notes give the reference without a link). A conclusion or plan item names its sources by these ids, so
each one can be traced to a study, a review or a certification's convention.
"""

from __future__ import annotations

from typing import Iterable

# evidence grades, as corrective.md tags them
STRONG, MODERATE, WEAK, CONVENTION, HEURISTIC, NEGATIVE, GAP = (
    "strong", "moderate", "weak", "convention", "heuristic", "not supported", "gap")
GRADES = (STRONG, MODERATE, WEAK, CONVENTION, HEURISTIC, NEGATIVE, GAP)
GRADE_WORDS = {
    STRONG: "strong research evidence",
    MODERATE: "moderate research evidence",
    WEAK: "weak or conflicting research evidence",
    CONVENTION: "a certification's convention, no outcome research behind it",
    HEURISTIC: "a working rule of this program, not from the literature",
    NEGATIVE: "the research does not support it",
    GAP: "searched, nothing found",
}

SOURCES: dict[str, dict[str, str]] = {
    "bell2008": {"citation": "Bell et al. 2008, Arch Phys Med Rehabil 89:1323: knees whose caving a heel lift corrected "
                             "went with less plantarflexion strength and stronger hips (an ankle problem, not weak hips)",
                 "url": "https://pubmed.ncbi.nlm.nih.gov/18586134/"},
    "bell2013": {"citation": "Bell et al. 2013, J Athl Train 48:442: combined hip + ankle program (n = 32, heel-lift-"
                             "correctable valgus, 10 sessions in 2-3 weeks): caving and 3D valgus fell; PEDro 6/10",
                 "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC3718346"},
    "lima2018": {"citation": "Lima et al. 2018 meta-analysis: low ankle dorsiflexion goes with dynamic knee valgus "
                             "(SMD -0.65; -1.25 weight-bearing)",
                 "url": "https://pubmed.ncbi.nlm.nih.gov/28974358/"},
    "powden2015": {"citation": "Powden et al. 2015: knee-to-wall (weight-bearing lunge) test MDC 1.6 cm inter-rater, "
                               "1.9 cm intra-rater",
                   "url": "https://scholars.uky.edu/en/publications/reliability-and-minimal-detectable-change-of-the-weight-bearing-l"},
    "backman2011": {"citation": "Backman & Danielson 2011, AJSM 39:2626: dorsiflexion below 36.5 deg went with more "
                                "patellar tendinopathy in a year (one cohort of junior basketball players)",
                    "url": ""},
    "physiopedia_wblt": {"citation": "Physiopedia, Weight Bearing Lunge Test: 1 cm of knee-to-wall distance = about 3.6 deg",
                         "url": "https://physio-pedia.com/Weight-bearing_Lunge_Test"},
    "practitioner_wblt": {"citation": "Practitioners' knee-to-wall cut-offs: < 10 cm restricted (Berrylands Pilates); "
                                      "< 7.6 cm needs work (WAC)",
                          "url": "https://berrylandspilates.co.uk/single-post/knee-to-wall-test"},
    "wblt_norms": {"citation": "Knee-to-wall norms for 899 adults: left and right do not differ (d = 0.05), so a "
                               "left/right difference is informative",
                   "url": "https://pubmed.ncbi.nlm.nih.gov/41723909/"},
    "dill2014": {"citation": "Dill et al. 2014, J Athl Train 49:723: weight-bearing dorsiflexion explained knee flexion "
                             "in the overhead and single-leg squats",
                 "url": ""},
    "macrum2012": {"citation": "Macrum et al. 2012, J Sport Rehabil 21:144: restricting the ankle (a forefoot wedge) "
                               "raised knee caving and cut knee flexion",
                   "url": ""},
    "crossley2011": {"citation": "Crossley et al. 2011, AJSM 39:866: single-leg squat (5 reps) rated good/fair/poor on "
                                 "overall impression, trunk, pelvis, hip and knee; agreement with an expert panel "
                                 "73-87 %, kappa 0.60-0.80; good performers had better hip-abductor function",
                     "url": "https://espace.library.uq.edu.au/view/UQ:271798"},
    "munro2012": {"citation": "Munro et al. 2012: 2D frontal-plane knee angle (FPPA) smallest detectable difference "
                              "7.5-8.9 deg between days",
                  "url": "http://www.seek.salford.ac.uk/user/profile/publications/view.do?publicationNum=35377"},
    "nasm_ohsa": {"citation": "NASM Overhead Squat Assessment and its overactive/underactive muscle table: a "
                              "certification's convention (NASM calls the OHSA 'a general overview')",
                  "url": "http://blog.nasm.org/certified-personal-trainer/why-is-the-tensor-fascia-latae-and-vastus-lateralis-overactive-if-a-clients-knees-cave-inward-during-the-overhead-squat-test/"},
    "nasm_lean": {"citation": "NASM: excessive forward lean (torso not parallel to the tibia) and its muscle list: "
                              "a certification's convention",
                  "url": "https://blog.nasm.org/fitness/the-nasm-cpt-podcast-ep-10/"},
    "issa_shift": {"citation": "ISSA: asymmetric weight shift and its muscle list: a certification's convention",
                   "url": "https://www.issaonline.com/blog/post/personal-training-tips-to-improve-asymmetrical-weight-shift"},
    "nasm_cex": {"citation": "NASM Corrective Exercise Continuum (inhibit, lengthen, activate, integrate; re-assess "
                             "every 4-6 weeks; pain means referral): a certification's convention",
                 "url": "https://open-exam-prep.com/study-guides/nasm-cpt/06-movement-assessment-posture-and-kinetic-chain/turning-assessment-findings-into-first-program-decisions"},
    "fms_heel": {"citation": "FMS: the heel-raised squat 'aids anyone who may have a dorsiflexion restriction'; "
                             "correctives go heel-raised squat -> flat (a convention)",
                 "url": "https://www.functionalmovement.com/articles/Podcasts/2014-06-18_the_most_common_fms_squat_question"},
    "medeiros2018": {"citation": "Medeiros et al. 2018, Foot 35:28: static calf stretching +5.2 deg dorsiflexion "
                                 "(95 % CI 4.4-6.0); PNF +4.3 deg",
                     "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC4176290"},
    "wilke2020": {"citation": "Wilke et al. 2020: foam rolling gives an acute range-of-motion gain (SMD 0.74), no "
                              "better than stretching",
                  "url": "https://link.springer.com/article/10.1007/s40279-019-01205-7"},
    "peerj_dkv": {"citation": "Systematic review: 7 of 10 exercise studies (423 people) reduced dynamic knee valgus "
                              "in 2-10 weeks",
                  "url": "https://peerj.com/articles/11731/"},
    "bmc2022": {"citation": "An 8-week, 3x/week hip and ankle program (n = 30) improved single-leg-squat kinematics "
                            "and hip strength",
                "url": "https://bmcmusculoskeletdisord.biomedcentral.com/articles/10.1186/s12891-022-05652-8"},
    "hip_only_2015": {"citation": "Isolated hip-abductor strengthening: no significant change in knee caving over "
                                  "5 weeks (n = 29)",
                      "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC4424529"},
    "hip_conflicting": {"citation": "Hip strength and knee caving: conflicting reviews (Cashman 2012: 'no definitive "
                                    "conclusions'; a 2021 review: negative in 2 studies, positive in 2, none in 3)",
                        "url": "https://discovery.researcher.life/article/is-hip-muscle-strength-associated-with-dynamic-knee-valgus-in-a-healthy-adult-population-a-systematic-review/14053afec99a3da39fed2e9dd6812e89"},
    "neilson2019": {"citation": "Neilson et al. 2019 meta-analysis: augmented feedback improves knee and hip flexion, "
                                "'little effect on frontal plane' (Phys Ther Sport)",
                    "url": ""},
    "kinect_feedback": {"citation": "Real-time colour biofeedback: 6.16 deg less knee abduction after one session (n = 24)",
                        "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC7093923"},
    "reece2020": {"citation": "Reece et al. 2020: a mini-band around the knees in barbell squats (n = 26) raised "
                              "gluteus maximus activity but INCREASED knee valgus, more with heavier bands",
                  "url": "https://bmjopensem.bmj.com/content/6/1/e000610.full"},
    "krosshaug2016": {"citation": "Krosshaug et al. 2016, AJSM 44:874 (710 athletes): knee caving is 'a poor "
                                  "screening test' for injury",
                      "url": ""},
    "nilstad": {"citation": "Nilstad et al.: 2D knee angle in single-leg squats and drop jumps did not separate "
                            "56 injured from 722 uninjured athletes: 'should not be used for screening'",
                "url": "https://scholars.ln.edu.hk/en/publications/kiss-goodbye-to-the-kissing-knees-no-association-between-frontal-"},
    "lima2023": {"citation": "Lima et al. 2023, Sports Med: prevention programs changed knee flexion (+3.1 deg) but "
                             "not frontal-plane knee angles (very low certainty), so 'valgus unchanged' does not "
                             "mean a program failed",
                 "url": "https://doi.org/10.1007/s40279-023-01974-2"},
    "ungraded_heuristic": {"citation": "SquatCheck's own working rule (no published value); said so wherever used",
                           "url": ""},
}


def cite(ids: Iterable[str]) -> list[dict[str, str]]:
    """The citations of ``ids`` (id, citation, url), in order, each once. Unknown ids raise KeyError:
    a conclusion must never cite a source this file does not hold."""
    out, seen = [], set()
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append({"id": i, **SOURCES[i]})
    return out
