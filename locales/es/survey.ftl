# Las palabras de la encuesta de seguimiento (domain::survey, issue 23), en español: una
# pregunta por ítem (`survey-<item>`) y una palabra por opción (`survey-<item>-<opción>`).
# Palabras sencillas, de usted; cada clave está también en los demás idiomas (una prueba lo
# comprueba).

survey-title = ¿Cómo duerme { $baby }?
survey-intro = Seis preguntas cortas. Puede saltar las que no quiera contestar. Sus respuestas ayudan al programa a cuidar a los bebés.
survey-prefer_not = Prefiero no decirlo
survey-send = Enviar mis respuestas
survey-thanks = Gracias. Recibimos sus respuestas.
survey-already = Gracias: ya recibimos sus respuestas.

survey-crib_in_use = ¿La cuna del programa está armada y la usan?
survey-crib_in_use-yes = Sí
survey-crib_in_use-no = No
survey-crib_in_use-not_yet = Todavía no
survey-crib_not_used_why = Si no, ¿por qué?
survey-crib_not_used_why-no_room = No hay espacio para ella
survey-crib_not_used_why-sleeps_with_me = Mi bebé duerme conmigo
survey-crib_not_used_why-gave_away = La regalé
survey-crib_not_used_why-other = Otra razón
survey-slept_last_night = ¿Dónde durmió su bebé anoche?
survey-slept_last_night-this_crib = En esta cuna
survey-slept_last_night-other_crib = En otra cuna o moisés
survey-slept_last_night-adult_bed = En una cama de adulto
survey-slept_last_night-couch_or_chair = En un sofá o una silla
survey-slept_last_night-car_seat_or_swing = En la silla del carro o un columpio
survey-slept_last_night-other = En otro lugar
survey-position = ¿Cómo acuesta a su bebé para dormir la mayoría de las veces?
survey-position-back = Boca arriba
survey-position-side = De lado
survey-position-stomach = Boca abajo
survey-bed_sharing = ¿Con qué frecuencia duerme su bebé en la misma cama con usted u otra persona?
survey-bed_sharing-always = Siempre
survey-bed_sharing-often = Muchas veces
survey-bed_sharing-sometimes = A veces
survey-bed_sharing-rarely = Casi nunca
survey-bed_sharing-never = Nunca
survey-soft_objects = En las últimas 2 semanas, ¿su bebé durmió con cobijas, almohadas, protectores de cuna o juguetes?
survey-soft_objects-yes = Sí
survey-soft_objects-no = No
survey-smoke_in_home = ¿Alguien fuma o usa cigarrillos electrónicos en la casa?
survey-smoke_in_home-yes = Sí
survey-smoke_in_home-no = No

survey-would_have_slept = Sin esta cuna, ¿dónde habría dormido su bebé?
survey-would_have_slept-own_crib = En una cuna que ya tenemos
survey-would_have_slept-bassinet = En un moisés
survey-would_have_slept-adult_bed = En una cama de adulto
survey-would_have_slept-couch_or_chair = En un sofá o una silla
survey-would_have_slept-car_seat_or_swing = En la silla del carro o un columpio
survey-would_have_slept-other = En otro lugar

survey-title-no-name = ¿Cómo duerme su bebé?
survey-program = Programa de cunas
survey-round-1 = Un mes con su cuna
survey-round-3 = Tres meses con su cuna
survey-why-hint = Solo si contestó “No” arriba.
survey-problems = No pudimos leer algunas respuestas. Por favor elija una de las respuestas que se muestran.
survey-not-yet = Sus primeras preguntas se abren el { $date }. Por favor vuelva a esta página ese día.
survey-next = Sus próximas preguntas se abren el { $date }. Guarde su recibo: el mismo código las abre.
survey-all-done = Esas fueron las últimas preguntas. Gracias por cuidar que su bebé duerma seguro.
survey-expired = Este enlace ya terminó.
survey-expired-detail = Gracias. Si tiene preguntas sobre su cuna, llame al programa de cunas.
survey-unknown = No encontramos esta página.
survey-unknown-detail = Revise que la dirección esté escrita tal como aparece en su recibo.
survey-receipt = Al mes y a los 3 meses, cuéntenos cómo duerme su bebé. Escanee el código con la cámara de su teléfono, o escriba esta dirección:
