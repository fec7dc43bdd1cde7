# The follow-up survey's words (domain::survey, issue 23), in English: a question per item
# (`survey-<item>`) and a word per option (`survey-<item>-<option>`). Plain words, a sixth
# grade reading level; every key is also in the other languages (a test checks).

survey-title = How is { $baby } sleeping?
survey-intro = Six short questions. Skip any you do not want to answer. Your answers help the program keep babies safe.
survey-prefer_not = Prefer not to say
survey-send = Send my answers
survey-thanks = Thank you. We received your answers.
survey-already = Thank you: we already received your answers.

survey-crib_in_use = Is the crib from the program set up and being used?
survey-crib_in_use-yes = Yes
survey-crib_in_use-no = No
survey-crib_in_use-not_yet = Not yet
survey-crib_not_used_why = If not, why not?
survey-crib_not_used_why-no_room = There is no room for it
survey-crib_not_used_why-sleeps_with_me = My baby sleeps with me
survey-crib_not_used_why-gave_away = I gave it away
survey-crib_not_used_why-other = Another reason
survey-slept_last_night = Where did your baby sleep last night?
survey-slept_last_night-this_crib = In this crib
survey-slept_last_night-other_crib = In another crib or bassinet
survey-slept_last_night-adult_bed = In an adult bed
survey-slept_last_night-couch_or_chair = On a couch or chair
survey-slept_last_night-car_seat_or_swing = In a car seat or swing
survey-slept_last_night-other = Somewhere else
survey-position = How do you most often lay your baby down to sleep?
survey-position-back = On the back
survey-position-side = On the side
survey-position-stomach = On the stomach
survey-bed_sharing = How often does your baby sleep in the same bed with you or anyone else?
survey-bed_sharing-always = Always
survey-bed_sharing-often = Often
survey-bed_sharing-sometimes = Sometimes
survey-bed_sharing-rarely = Rarely
survey-bed_sharing-never = Never
survey-soft_objects = In the last 2 weeks, did your baby sleep with blankets, pillows, bumper pads or toys?
survey-soft_objects-yes = Yes
survey-soft_objects-no = No
survey-smoke_in_home = Does anyone smoke or vape in the home?
survey-smoke_in_home-yes = Yes
survey-smoke_in_home-no = No

survey-would_have_slept = Without this crib, where would your baby have slept?
survey-would_have_slept-own_crib = In a crib we already have
survey-would_have_slept-bassinet = In a bassinet
survey-would_have_slept-adult_bed = In an adult bed
survey-would_have_slept-couch_or_chair = On a couch or chair
survey-would_have_slept-car_seat_or_swing = In a car seat or swing
survey-would_have_slept-other = Somewhere else

survey-title-no-name = How is your baby sleeping?
survey-program = Crib program
survey-round-1 = One month with your crib
survey-round-3 = Three months with your crib
survey-why-hint = Only if you answered “No” above.
survey-problems = Some answers could not be read. Please choose one of the answers shown.
survey-not-yet = Your first questions open on { $date }. Please come back to this page then.
survey-next = Your next questions open on { $date }. Keep your receipt: the same code opens them.
survey-all-done = That was the last set of questions. Thank you for keeping your baby safe.
survey-expired = This link has ended.
survey-expired-detail = Thank you. If you have questions about your crib, call the crib program.
survey-unknown = We could not find this page.
survey-unknown-detail = Check that the address is typed exactly as printed on your receipt.
survey-receipt = At 1 and 3 months, tell us how your baby sleeps. Scan the code with your phone's camera, or type this address:
