# The unsubscribe page of a family's e-mails (web::messages::unsubscribe), in English.
# Every key here is in every other language's folder too (a test checks it).

unsubscribe-program = Crib program
unsubscribe-title = Stop e-mails from the crib program?
unsubscribe-intro = We send you e-mails about your crib: when it is ready and when it is held for you. If you stop them, we will not send you any more.
unsubscribe-button = Stop e-mails
unsubscribe-keep = If you want to keep getting our e-mails, close this page.
unsubscribe-done = You will not get more e-mails from us.
unsubscribe-done-detail = If you change your mind, tell the staff of the crib program.
unsubscribe-unknown = We could not find this link
unsubscribe-unknown-detail = The link may be incomplete. Open it again from the e-mail, or copy the whole link. You can also tell the staff at your crib site that you want no more e-mails.
