# La página para dejar de recibir los correos de una familia (web::messages::unsubscribe),
# en español. Cada clave está también en los demás idiomas (una prueba lo comprueba).

unsubscribe-program = Programa de cunas
unsubscribe-title = ¿Dejar de recibir correos electrónicos del programa de cunas?
unsubscribe-intro = Le enviamos correos electrónicos sobre su cuna: cuando está lista y cuando se la guardamos. Si los detiene, no le enviaremos más.
unsubscribe-button = Dejar de recibir correos
unsubscribe-keep = Si quiere seguir recibiendo nuestros correos, cierre esta página.
unsubscribe-done = No le enviaremos más correos electrónicos.
unsubscribe-done-detail = Si cambia de opinión, dígaselo al personal del programa de cunas.
unsubscribe-unknown = No encontramos este enlace
unsubscribe-unknown-detail = Puede que el enlace esté incompleto. Ábralo de nuevo desde el correo o copie el enlace completo. También puede decirle al personal de su sitio que no quiere recibir más correos.
