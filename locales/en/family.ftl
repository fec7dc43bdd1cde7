# The words families read, in English. Every key here is in every other language's
# folder too (a test checks it). Arguments are { $name }; see docs/decisions/0021.

## This language, as offered from a page in another one

language-name = English
show-in-language = Show in English
print-in-language = Print in English

## Dates and lists

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-long = { $month } { $day }, { $year }
list-and = { $init } and { $last }
list-or = { $init } or { $last }

## Opening hours (CRIBS_SITE_HOURS)

day-mon = Monday
day-tue = Tuesday
day-wed = Wednesday
day-thu = Thursday
day-fri = Friday
day-sat = Saturday
day-sun = Sunday
days-range = { $first } to { $last }
hours-line = { $days }, { $from } to { $to }
time-am = { $time } am
time-pm = { $time } pm

## The safe-sleep checklist

checklist-title = Safe sleep: the ABCDs
checklist-required = The ABCDs: go through every one
checklist-optional = Other topics (optional)
checklist-attest = Caregiver: type your full name to confirm you went through this with us
checklist-missing = Go through every one of the ABCDs. Still to do: { $topics }.
checklist-attest-missing = Type your full name to confirm.
checklist-attest-too-long = The name can be at most 200 characters.
topic-alone-title = A — Alone
topic-alone-detail = Baby sleeps alone: no adults, children, pets, pillows, blankets or toys in the crib.
topic-back-title = B — on the Back
topic-back-detail = Always put baby down on their back, for naps and at night.
topic-crib-title = C — in a Crib
topic-crib-detail = Baby sleeps in a crib or play yard with a firm, flat mattress and a fitted sheet only.
topic-no_smoking-title = D — Don't smoke
topic-no_smoking-detail = Keep baby away from smoke and vapor: no smoking in the home or car.
topic-room_sharing_without_bed_sharing-title = Share the room, not the bed
topic-room_sharing_without_bed_sharing-detail = Keep the crib in your room for the first months, but never share a bed, sofa or chair.
topic-no_soft_bedding-title = No soft bedding
topic-no_soft_bedding-detail = No bumpers, quilts or soft toys.
topic-no_overheating-title = Do not overheat
topic-no_overheating-detail = Dress baby in a sleep sack, not blankets; keep the room comfortable.
topic-pacifier-title = Pacifier at sleep time
topic-pacifier-detail = Offer a pacifier at sleep time; do not hang it around the neck.
topic-breastfeeding-title = Breastfeeding
topic-breastfeeding-detail = Breastfeeding lowers the risk of sleep-related death.
topic-tummy_time-title = Tummy time when awake
topic-tummy_time-detail = Supervised tummy time while baby is awake.
topic-assembly_demo-title = Crib set-up shown
topic-assembly_demo-detail = We showed how to set up and fold the play yard safely.

## The receipt

receipt-title = Portable crib receipt
receipt-number = Receipt number
receipt-date = Date
receipt-site = Site
receipt-crib = Crib
receipt-lot = Lot
receipt-no-lot = not on the box
receipt-baby = Baby
receipt-reminders = Every sleep, every nap
receipt-caregiver-signature = Caregiver signature
receipt-staff-signature = Staff signature
receipt-voided = VOIDED: this receipt is no longer valid
receipt-paper-slip = Written on paper slip
receipt-handed-out = Crib handed out
receipt-handed-out-detail = { $baby } has a crib from the program: receipt { $number }. Print this page for the family to take home.
receipt-print = Print the receipt
receipt-back = Back to the family
receipt-contact = Questions about your crib? Call the crib program at { $phone }.
receipt-hours = { $site } is open: { $hours }.
receipt-baby-born = born { $date }
receipt-baby-due = due { $date }

## Crib models, by their code in seeds/crib_models.toml

crib-model-play-yard-standard = Portable play yard kit (play yard, fitted sheet, sleep sack)
crib-model-play-yard-compact = Compact portable crib kit (crib, fitted sheet, sleep sack)

## Why the crib could not be given (printable for the family)

refusal-title = Why we could not give you a crib today
refusal-intro = We checked whether { $baby } can get a crib from the program on { $date }. This is what we found.
refusal-failed = What stands in the way
refusal-passed = What is already fine
refusal-next = If something here is wrong or changes, come back or call us and we will check again.
refusal-no-check = We have not checked yet whether { $baby } can get a crib: we need to do that first.
refusal-old-check = The last check, on { $date }, is too old: we need to check again.
refusal-eligible = On { $date }, { $baby } could get a crib from the program.
refusal-print = Print this explanation
refusal-back = Back to the family
reason-lives-in-city = You live in a Baltimore City neighborhood.
reason-outside-city-allowed = Your address is outside Baltimore City, which the program's rules allow at present.
reason-outside-city = Your address is not in a Baltimore City neighborhood, and the program serves families who live in the city.
reason-born-in-future = The baby's date of birth we have, { $dob }, is after { $on }: it needs to be corrected.
reason-under-age = The baby turns { $months } months on { $turns }, so the baby is young enough.
reason-past-age = The baby turned { $months } months on { $turns }; the program serves babies under { $months } months.
reason-due-too-early = The baby is due { $due }. The program starts at { $weeks } weeks of pregnancy, on { $starts }: please come back then.
reason-due-soon = The baby is due { $due }: at least { $weeks } weeks of pregnancy.
reason-overdue = The baby was due { $due } and no birth is recorded yet, which still counts. Tell us the date of birth once the baby is born.
reason-overdue-too-long = The baby was due { $due }, more than { $days } days ago, and no birth is recorded: we need the baby's date of birth.
reason-no-birth-or-due-date = We need the baby's date of birth or the expected due date.
reason-no-weight = No weight is recorded; the limit of { $max } lb counts only when it is.
reason-under-weight = { $weight } lb is under the limit of { $max } lb.
reason-over-weight = The baby weighs { $weight } lb; the program serves babies under { $max } lb.
reason-enrolled = You are enrolled in { $programs }, so income does not matter.
reason-income-unknown = We do not have your household's yearly income, and no enrollment in { $programs } is recorded.
reason-income-unknown-alone = We do not have your household's yearly income.
reason-no-guideline = Your income could not be compared with a limit on { $on }.
reason-limit-uncomputable = The income limit for { $size } people could not be worked out.
reason-income-within = Your household's income, { $income }, is within the limit of { $limit } for { $size } people.
reason-income-above = Your household's income, { $income }, is above the limit of { $limit } for { $size } people, and no enrollment in { $programs } is recorded.
reason-safe-sleep-not-required = The program's rules do not ask whether you already have a safe place for the baby to sleep.
reason-no-safe-sleep-space = You have no safe place for the baby to sleep.
reason-has-safe-sleep-space = You told us you already have a safe place for the baby to sleep; the program gives cribs to families who do not.
reason-safe-sleep-not-asked = We still need to ask whether you have a safe place for the baby to sleep.
reason-already-received = A crib has already been given for this baby: the program gives one crib per baby.
reason-not-yet-received = No crib has been given for this baby yet.

## What the program holds about the family (the export page)

record-title = What the program holds about your family
record-intro = This is everything the crib program keeps about you and your baby, and who has looked at it.
record-details = Your details
record-name = Name
record-born = Date of birth
record-phone = Phone
record-address = Address
record-household = People in the home
record-income = Yearly income
record-enrolled = Enrolled in
record-babies = Babies
record-checks = Eligibility checks
record-eligible = Eligible
record-not-eligible = Not eligible
record-education = Safe-sleep education
record-cribs = Cribs handed out
record-receipt = Receipt
record-changes = Changes to the record
record-requests = Hospital requests
record-calls = Follow-up calls
record-access = Who looked at or changed the record
record-none = None
record-printed = Printed on

## The paper slip and sign-in sheet (printed with every language side by side)

slip-title = Safe-sleep crib
slip-number = Slip
slip-when = Date and time
slip-caregiver = Caregiver
slip-name = Name
slip-born = Date of birth
slip-phone = Phone
slip-language = Language
slip-address = Address
slip-zip = ZIP
slip-baby = Baby
slip-baby-born = Born
slip-baby-due = or due
slip-weight = Weight (lb)
slip-eligibility = Eligibility
slip-city = Lives in Baltimore City
slip-household = People in the home
slip-income = Yearly income
slip-no-safe-place = No safe place for the baby to sleep
slip-safe-sleep = Safe sleep (ABCD)
slip-alone = Alone
slip-back = on the Back
slip-crib = in a Crib
slip-no-smoke = Don't smoke
slip-caregiver-signature = Caregiver's signature
slip-crib-heading = Crib
slip-model = Model
slip-lot = Lot
slip-staff-signature = Staff signature
signin-title = Sign-in sheet
signin-time = Time
signin-baby = Baby born or due
signin-staff = Staff
