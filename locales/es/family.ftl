# Las palabras que leen las familias, en español. Cada clave está también en la carpeta
# de cada otro idioma (una prueba lo comprueba). Véase docs/decisions/0021.

## Este idioma, ofrecido desde una página en otro

language-name = Español
show-in-language = Mostrar en español
print-in-language = Imprimir en español

## Fechas y listas

month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
date-long = { $day } de { $month } de { $year }
list-and = { $init } y { $last }
list-or = { $init } o { $last }

## Horario (CRIBS_SITE_HOURS)

day-mon = lunes
day-tue = martes
day-wed = miércoles
day-thu = jueves
day-fri = viernes
day-sat = sábado
day-sun = domingo
days-range = de { $first } a { $last }
hours-line = { $days }, de { $from } a { $to }
time-am = { $time } a. m.
time-pm = { $time } p. m.

## La lista de sueño seguro

checklist-title = Sueño seguro: el ABCD
checklist-required = El ABCD: repase cada uno
checklist-optional = Otros temas (opcionales)
checklist-attest = Cuidador: escriba su nombre completo para confirmar que repasó esto con nosotros
checklist-missing = Repase cada uno de los temas del ABCD. Falta: { $topics }.
checklist-attest-missing = Escriba su nombre completo para confirmar.
checklist-attest-too-long = El nombre puede tener como máximo 200 caracteres.
topic-alone-title = A — Solo
topic-alone-detail = El bebé duerme solo: sin adultos, niños, mascotas, almohadas, cobijas ni juguetes en la cuna.
topic-back-title = B — Boca arriba
topic-back-detail = Acueste siempre al bebé boca arriba, en siestas y de noche.
topic-crib-title = C — en su Cuna
topic-crib-detail = El bebé duerme en una cuna o corralito con colchón firme y plano y solo una sábana ajustable.
topic-no_smoking-title = D — No fumar
topic-no_smoking-detail = Mantenga al bebé lejos del humo y del vapor: no fume en la casa ni en el carro.
topic-room_sharing_without_bed_sharing-title = Comparta el cuarto, no la cama
topic-room_sharing_without_bed_sharing-detail = Tenga la cuna en su cuarto los primeros meses, pero nunca comparta cama, sofá ni sillón.
topic-no_soft_bedding-title = Nada blando en la cuna
topic-no_soft_bedding-detail = Sin protectores, edredones ni peluches.
topic-no_overheating-title = Evite el calor excesivo
topic-no_overheating-detail = Use un saco de dormir en lugar de cobijas; mantenga el cuarto a temperatura cómoda.
topic-pacifier-title = Chupón al dormir
topic-pacifier-detail = Ofrezca el chupón al dormir; no lo cuelgue del cuello.
topic-breastfeeding-title = Lactancia materna
topic-breastfeeding-detail = La lactancia materna reduce el riesgo de muerte durante el sueño.
topic-tummy_time-title = Boca abajo solo despierto
topic-tummy_time-detail = Tiempo boca abajo supervisado mientras el bebé está despierto.
topic-assembly_demo-title = Armado de la cuna
topic-assembly_demo-detail = Le mostramos cómo armar y doblar el corralito de forma segura.

## El recibo

receipt-title = Recibo de cuna portátil
receipt-number = Número de recibo
receipt-date = Fecha
receipt-site = Lugar
receipt-crib = Cuna
receipt-lot = Lote
receipt-no-lot = no figura en la caja
receipt-baby = Bebé
receipt-reminders = En cada sueño y cada siesta
receipt-caregiver-signature = Firma del cuidador
receipt-staff-signature = Firma del personal
receipt-voided = ANULADO: este recibo ya no es válido
receipt-paper-slip = Escrito en la hoja de papel
receipt-handed-out = Cuna entregada
receipt-handed-out-detail = { $baby } tiene una cuna del programa: recibo { $number }. Imprima esta página para que la familia se la lleve.
receipt-print = Imprimir el recibo
receipt-back = Volver a la familia
receipt-contact = ¿Preguntas sobre su cuna? Llame al programa de cunas al { $phone }.
receipt-hours = Horario de { $site }: { $hours }
receipt-baby-born = nació el { $date }
receipt-baby-due = fecha probable { $date }

## Modelos de cuna, por su código en seeds/crib_models.toml

crib-model-play-yard-standard = Corralito portátil (corralito, sábana ajustable y saco de dormir)
crib-model-play-yard-compact = Cuna portátil compacta (cuna, sábana ajustable y saco de dormir)

## Por qué no se pudo entregar la cuna (para que la familia lo imprima)

refusal-title = Por qué no pudimos darle una cuna hoy
refusal-intro = El { $date } revisamos si { $baby } puede recibir una cuna del programa. Esto es lo que encontramos.
refusal-failed = Lo que lo impide
refusal-passed = Lo que ya está bien
refusal-next = Si algo aquí no es correcto o cambia, vuelva o llámenos y lo revisaremos de nuevo.
refusal-no-check = Todavía no hemos revisado si { $baby } puede recibir una cuna: primero debemos hacerlo.
refusal-old-check = La última revisión, del { $date }, es demasiado antigua: debemos revisar de nuevo.
refusal-eligible = El { $date }, { $baby } podía recibir una cuna del programa.
refusal-print = Imprimir esta explicación
refusal-back = Volver a la familia
reason-lives-in-city = Usted vive en un barrio de la ciudad de Baltimore.
reason-outside-city-allowed = Su dirección está fuera de la ciudad de Baltimore, lo que las reglas del programa permiten por ahora.
reason-outside-city = Su dirección no está en un barrio de la ciudad de Baltimore, y el programa atiende a familias que viven en la ciudad.
reason-born-in-future = La fecha de nacimiento que tenemos, { $dob }, es posterior al { $on }: hay que corregirla.
reason-under-age = El bebé cumple { $months } meses el { $turns }, así que tiene la edad del programa.
reason-past-age = El bebé cumplió { $months } meses el { $turns }; el programa atiende a bebés menores de { $months } meses.
reason-due-too-early = El bebé nacerá hacia el { $due }. El programa empieza a las { $weeks } semanas de embarazo, el { $starts }: vuelva entonces, por favor.
reason-due-soon = El bebé nacerá hacia el { $due }: al menos { $weeks } semanas de embarazo.
reason-overdue = La fecha probable de parto era el { $due } y todavía no hay nacimiento registrado, lo que aún cuenta. Díganos la fecha de nacimiento cuando nazca el bebé.
reason-overdue-too-long = La fecha probable de parto era el { $due }, hace más de { $days } días, y no hay nacimiento registrado: necesitamos la fecha de nacimiento del bebé.
reason-no-birth-or-due-date = Necesitamos la fecha de nacimiento del bebé o la fecha probable de parto.
reason-no-weight = No hay peso registrado; el límite de { $max } libras solo cuenta cuando lo hay.
reason-under-weight = { $weight } libras está por debajo del límite de { $max } libras.
reason-over-weight = El bebé pesa { $weight } libras; el programa atiende a bebés de menos de { $max } libras.
reason-enrolled = Usted está inscrita en { $programs }, así que el ingreso no importa.
reason-income-unknown = No tenemos el ingreso anual de su hogar, y no consta inscripción en { $programs }.
reason-income-unknown-alone = No tenemos el ingreso anual de su hogar.
reason-no-guideline = Su ingreso no se pudo comparar con un límite el { $on }.
reason-limit-uncomputable = No se pudo calcular el límite de ingreso para { $size } personas.
reason-income-within = El ingreso de su hogar, { $income }, está dentro del límite de { $limit } para { $size } personas.
reason-income-above = El ingreso de su hogar, { $income }, supera el límite de { $limit } para { $size } personas, y no consta inscripción en { $programs }.
reason-safe-sleep-not-required = Las reglas del programa no preguntan si ya tiene un lugar seguro para que el bebé duerma.
reason-no-safe-sleep-space = Usted no tiene un lugar seguro para que el bebé duerma.
reason-has-safe-sleep-space = Nos dijo que ya tiene un lugar seguro para que el bebé duerma; el programa da cunas a las familias que no lo tienen.
reason-safe-sleep-not-asked = Todavía debemos preguntarle si tiene un lugar seguro para que el bebé duerma.
reason-already-received = Ya se entregó una cuna para este bebé: el programa da una cuna por bebé.
reason-not-yet-received = Todavía no se ha entregado ninguna cuna para este bebé.

## Lo que el programa guarda sobre la familia (la página de exportación)

record-title = Lo que el programa guarda sobre su familia
record-intro = Esta es toda la información que el programa de cunas guarda sobre usted y su bebé, y quién la ha consultado.
record-details = Sus datos
record-name = Nombre
record-born = Fecha de nacimiento
record-phone = Teléfono
record-address = Dirección
record-household = Personas en el hogar
record-income = Ingreso anual
record-enrolled = Inscrita en
record-babies = Bebés
record-checks = Revisiones de elegibilidad
record-eligible = Elegible
record-not-eligible = No elegible
record-education = Educación sobre el sueño seguro
record-cribs = Cunas entregadas
record-receipt = Recibo
record-changes = Cambios en el registro
record-requests = Solicitudes del hospital
record-calls = Llamadas de seguimiento
record-access = Quién consultó o cambió el registro
record-none = Ninguno
record-printed = Impreso el

## La hoja de papel y la hoja de registro (impresas con todos los idiomas lado a lado)

slip-title = Cuna para dormir seguro
slip-number = Hoja
slip-when = Fecha y hora
slip-caregiver = Persona a cargo
slip-name = Nombre
slip-born = Fecha de nacimiento
slip-phone = Teléfono
slip-language = Idioma
slip-address = Dirección
slip-zip = Código postal
slip-baby = Bebé
slip-baby-born = Nació
slip-baby-due = o fecha probable
slip-weight = Peso (libras)
slip-eligibility = Elegibilidad
slip-city = Vive en la ciudad de Baltimore
slip-household = Personas en el hogar
slip-income = Ingreso anual
slip-no-safe-place = Sin lugar seguro para que el bebé duerma
slip-safe-sleep = Sueño seguro (ABCD)
slip-alone = Solo
slip-back = Boca arriba
slip-crib = en una cuna
slip-no-smoke = No fumar
slip-caregiver-signature = Firma de la persona a cargo
slip-crib-heading = Cuna
slip-model = Modelo
slip-lot = Lote
slip-staff-signature = Firma del personal
signin-title = Hoja de registro
signin-time = Hora
signin-baby = Bebé nació o fecha probable
signin-staff = Personal
