"""Finnish and English texts of the web UI: a plain dictionary per language, Finnish first."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("fi", "en")
DEFAULT_LANGUAGE = "fi"

# Each entry: key -> (Finnish, English).
TEXTS: dict[str, tuple[str, str]] = {
    # Layout and navigation
    "app.name": ("Asiakassilmä", "Asiakassilmä"),
    "app.tagline": ("Asiakkuudet ja asiakaspolut", "Customers and their journeys"),
    "nav.main": ("Päävalikko", "Main menu"),
    "nav.search": ("Asiakashaku", "Customer search"),
    "nav.my_customers": ("Omat asiakkaat", "My customers"),
    "nav.users": ("Käyttäjät", "Users"),
    "nav.dashboard": ("Johdon näkymä", "Dashboard"),
    "nav.consent_audit": ("Suostumusauditointi", "Consent audit"),
    "nav.erasures": ("Poistopyynnöt", "Erasures"),
    "nav.access_log": ("Käyttöloki", "Access log"),
    "nav.segments": ("Segmentit", "Segments"),
    # Privacy pages
    "privacy.audit_title": ("Suostumusauditointi", "Consent audit"),
    "privacy.checked": ("Tarkistettuja markkinointikontakteja", "Marketing contacts checked"),
    "privacy.violations": ("Rikkomukset", "Violations"),
    "privacy.no_violations": (
        "Ei rikkomuksia: jokaiselle kontaktille oli voimassa oleva suostumus.",
        "No violations: every contact had a valid consent.",
    ),
    "privacy.violation": ("Syy", "Problem"),
    "privacy.changes": (
        "Suostumusmuutokset tarkoituksittain ja kanavittain",
        "Consent changes by purpose and channel",
    ),
    "privacy.expiring": ("Vanhenemassa 30 päivän sisällä", "Expiring within 30 days"),
    "privacy.expires_at": ("Vanhenee", "Expires"),
    "privacy.change": ("Muutos", "Change"),
    "privacy.count": ("Määrä", "Count"),
    "privacy.customer": ("Asiakas", "Customer"),
    "privacy.history": ("Suostumushistoria", "Consent history"),
    "privacy.intervals": ("Voimassaolojaksot", "Validity intervals"),
    "privacy.valid_from": ("Alkaen", "From"),
    "privacy.valid_to": ("Päättyen", "Until"),
    "privacy.ended_by": ("Päättyi", "Ended by"),
    "privacy.in_force": ("voimassa", "in force"),
    "privacy.erasures_title": ("Poistopyynnöt", "Erasure requests"),
    "privacy.received": ("Vastaanotettu", "Received"),
    "privacy.due": ("Määräaika", "Deadline"),
    "privacy.completed": ("Valmis", "Completed"),
    "privacy.requested_by": ("Pyytäjä", "Requested by"),
    "privacy.reason": ("Peruste", "Reason"),
    "privacy.overdue": ("myöhässä", "overdue"),
    "privacy.open": ("avoin", "open"),
    "privacy.show_open": ("Avoimet", "Open"),
    "privacy.show_overdue": ("Myöhässä", "Overdue"),
    "privacy.show_all": ("Kaikki", "All"),
    "privacy.none": ("Ei pyyntöjä.", "No requests."),
    "privacy.access_title": ("Henkilötietojen käyttöloki", "Personal data access log"),
    "privacy.accessed_at": ("Aika", "When"),
    "privacy.reader": ("Käyttäjä", "User"),
    "privacy.endpoint": ("Sivu tai rajapinta", "Page or endpoint"),
    "privacy.customer_id": ("Asiakkaan tunniste", "Customer id"),
    "privacy.filter": ("Rajaa", "Filter"),
    "privacy.behind": (
        "Näkymät eivät ehtineet ajan tasalle; tulos voi puuttua uusimmat kirjaukset.",
        "The views had not caught up; the newest records may be missing.",
    ),
    "privacy.purpose": ("Tarkoitus", "Purpose"),
    "privacy.evidence": ("Näyttö", "Evidence"),
    # Erasing a customer (DPO) and the erasure certificate
    "erase.title": ("Poista asiakkaan henkilötiedot", "Erase this customer"),
    "erase.help": (
        "Asiakkaan salausavain tuhotaan: nimi, yhteystiedot ja vapaat tekstit muuttuvat"
        " lukukelvottomiksi kaikissa tapahtumissa. Lajit, päivät, summat ja korkeakoulut"
        " säilyvät raportteja varten.",
        "The customer's data key is destroyed: the name, contact details and free texts of"
        " every event become unreadable. Kinds, dates, amounts and institutions stay for"
        " reports.",
    ),
    "erase.reason": ("Poiston peruste", "Reason for the erasure"),
    "erase.reason_help": (
        "Älä kirjoita perusteeseen henkilötietoja: se säilyy poistotodistuksessa.",
        "Write no personal data in the reason: it is kept on the erasure certificate.",
    ),
    "erase.confirm": ("Ymmärrän, ettei poistoa voi perua", "I understand this cannot be undone"),
    "erase.submit": ("Poista asiakas", "Erase this customer"),
    "erase.confirm_missing": (
        "Vahvista poisto rastittamalla ruutu. Mitään ei poistettu.",
        "Tick the box to confirm the erasure. Nothing was erased.",
    ),
    "erase.reason_missing": (
        "Kirjoita poiston peruste (enintään 500 merkkiä). Mitään ei poistettu.",
        "Write the reason for the erasure (at most 500 characters). Nothing was erased.",
    ),
    "erase.already": (
        "Asiakkaan henkilötiedot on jo poistettu.",
        "This customer's personal data has already been erased.",
    ),
    "erase.retry": (
        "Asiakkaan tiedot muuttuivat poiston aikana. Yritä uudelleen.",
        "The customer changed during the erasure. Try again.",
    ),
    "erase.no_request": ("Poistopyyntöä ei löytynyt.", "No such erasure request."),
    "erase.certificate": ("Poistotodistus", "Erasure certificate"),
    "erase.done": (
        "Asiakkaan henkilötiedot on poistettu.",
        "The customer's personal data has been erased.",
    ),
    "erase.pending": (
        "Pyyntö on kesken. Lähetä poisto uudelleen asiakkaan sivulta.",
        "The request is unfinished. Send the erasure again from the customer page.",
    ),
    "erase.request_id": ("Pyynnön tunniste", "Request id"),
    "erase.erased_by": ("Poiston teki", "Erased by"),
    "erase.completed_at": ("Poistettu", "Erased at"),
    "erase.event": ("Poistotapahtuma", "Erasure event"),
    "erase.event_version": ("Versio", "Version"),
    "erase.event_position": ("Lokipositio", "Log position"),
    "erase.destroyed": ("Tuhottu", "Destroyed"),
    "erase.data_key": ("Asiakkaan salausavain", "The customer's data key"),
    "erase.key_destroyed": ("tuhottu", "destroyed"),
    "erase.key_already": ("tuhottu jo aiemmin", "already destroyed"),
    "erase.claims": ("Sähköpostin hakuavaimia poistettu", "E-mail look-up entries deleted"),
    "erase.snapshots": ("Tilannevedoksia poistettu", "Snapshots deleted"),
    "erase.unreadable": (
        "Tapahtumia, joiden henkilötiedot ovat nyt lukukelvottomia",
        "Events whose personal data is now unreadable",
    ),
    "erase.kept": ("Säilytetty", "Kept"),
    "erase.kept_text": (
        "Ei-henkilötiedot (lajit, päivät, summat, korkeakoulut, kanavat)",
        "Non-personal facts (kinds, dates, amounts, institutions, channels)",
    ),
    "erase.views": ("Lukumallit", "Read models"),
    "erase.purged": ("tyhjennetty", "purged"),
    "erase.not_purged": ("ei vielä", "not yet"),
    "erase.to_customer": ("Asiakkaan sivulle", "To the customer page"),
    "erase.open_certificate": ("Todistus", "Certificate"),
    "value.given": ("annettu", "given"),
    "value.withdrawn": ("peruttu", "withdrawn"),
    "value.expired": ("vanhentunut", "expired"),
    # Indicators and dashboard
    "indicators.title": ("Tunnusluvut", "Indicators"),
    "indicators.revenue": ("Myynti (netto)", "Revenue (net)"),
    "indicators.purchases": ("Ostoja", "Purchases"),
    "indicators.events": ("Tapahtumiin osallistunut", "Events attended"),
    "indicators.webinars": ("Webinaareja", "Webinars attended"),
    "indicators.engagement": ("Aktiivisuus", "Engagement"),
    "indicators.stage": ("Elinkaaren vaihe", "Lifecycle stage"),
    "indicators.feedback": ("Palautteen keskiarvo", "Average feedback"),
    "indicators.last_activity": ("Viimeksi aktiivinen", "Last active"),
    "indicators.engagement_chart": (
        "Aktiivisuus kuukausittain (24 kk)",
        "Engagement by month (24 months)",
    ),
    "dashboard.title": ("Johdon näkymä", "Management dashboard"),
    "dashboard.by_institution": (
        "Myynti korkeakouluittain (EUR, netto)",
        "Revenue by institution (EUR, net)",
    ),
    "dashboard.by_type": (
        "Myynti palvelutyypeittäin (EUR, netto)",
        "Revenue by offering type (EUR, net)",
    ),
    "dashboard.funnel": ("Liidit lähdekanavittain", "Leads by source channel"),
    "dashboard.total": ("Myynti yhteensä", "Total revenue"),
    "dashboard.leads": ("Liidit", "Leads"),
    "dashboard.qualified": ("Hyväksytyt", "Qualified"),
    "dashboard.converted": ("Kaupaksi", "Converted"),
    "dashboard.lost": ("Menetetyt", "Lost"),
    "dashboard.rate": ("Konversio", "Conversion"),
    "dashboard.channel": ("Lähdekanava", "Source channel"),
    "dashboard.engagement": ("Aktiivisuuspisteiden jakauma", "Engagement score distribution"),
    "dashboard.engagement_band": ("Pisteet", "Score"),
    "dashboard.lifecycle": ("Elinkaaren vaiheet", "Lifecycle stages"),
    "dashboard.customers": ("Asiakkaita", "Customers"),
    "value.prospect": ("prospekti", "prospect"),
    "value.lead": ("liidi", "lead"),
    "value.customer": ("asiakas", "customer"),
    "value.repeat_customer": ("kanta-asiakas", "repeat customer"),
    "value.lapsed": ("hiipunut", "lapsed"),
    "value.partner": ("kumppani", "partner"),
    "nav.skip": ("Siirry sisältöön", "Skip to content"),
    "nav.language": ("Kieli", "Language"),
    "nav.logout": ("Kirjaudu ulos", "Sign out"),
    "role.account_manager": ("asiakkuusvastaava", "account manager"),
    "role.marketing": ("markkinointi", "marketing"),
    "role.dpo": ("tietosuojavastaava", "data protection officer"),
    "role.admin": ("ylläpitäjä", "administrator"),
    # Login
    "login.title": ("Kirjaudu sisään", "Sign in"),
    "login.name": ("Käyttäjätunnus", "User name"),
    "login.password": ("Salasana", "Password"),
    "login.submit": ("Kirjaudu", "Sign in"),
    "login.token_title": ("Tai kirjaudu API-tunnisteella", "Or sign in with an API token"),
    "login.token": ("API-tunniste", "API token"),
    "login.failed": ("Tunnus tai salasana on väärä.", "Wrong user name or password."),
    "login.required": ("Kirjaudu sisään jatkaaksesi.", "Sign in to continue."),
    "login.signed_out": ("Olet kirjautunut ulos.", "You have signed out."),
    # Errors
    "error.title": ("Virhe", "Error"),
    "error.forbidden": (
        "Roolisi ei salli tätä sivua tai toimintoa.",
        "Your role does not allow this page or action.",
    ),
    "error.csrf": (
        "Lomake on vanhentunut. Lataa sivu uudelleen ja yritä uudestaan.",
        "The form has expired. Reload the page and try again.",
    ),
    "error.not_found": ("Asiakasta ei löytynyt.", "No such customer."),
    "error.page_not_found": (
        "Sivua ei löytynyt. Tarkista osoite tai palaa etusivulle.",
        "There is no such page. Check the address or go back to the start.",
    ),
    "error.method": (
        "Tätä sivua ei voi käyttää näin (väärä HTTP-metodi).",
        "This page cannot be used that way (wrong HTTP method).",
    ),
    "error.invalid": (
        "Lomakkeen tiedoissa on virheitä. Mitään ei tallennettu.",
        "The form has errors. Nothing was saved.",
    ),
    "error.conflict": (
        "Toiminto ei sovi asiakkaan nykyisiin tietoihin. Mitään ei tallennettu.",
        "The action does not fit the customer's current data. Nothing was saved.",
    ),
    "error.too_large": ("Lähetetty tieto on liian suuri.", "What was sent is too large."),
    "error.unavailable": (
        "Palvelu ei juuri nyt tavoita tietokantaa. Yritä hetken kuluttua uudelleen.",
        "The service cannot reach its database just now. Try again in a moment.",
    ),
    "error.internal": (
        "Sivun näyttäminen epäonnistui. Virhe on kirjattu; yritä myöhemmin uudelleen.",
        "The page could not be shown. The error was logged; try again later.",
    ),
    # Problems with a form field, by pydantic's error type; {field} is the field's label.
    "problem.missing": ("{field}: pakollinen tieto puuttuu.", "{field}: this is required."),
    "problem.string_too_long": (
        "{field}: enintään {max_length} merkkiä.",
        "{field}: at most {max_length} characters.",
    ),
    "problem.string_too_short": (
        "{field}: vähintään {min_length} merkkiä.",
        "{field}: at least {min_length} characters.",
    ),
    "problem.literal_error": (
        "{field}: valitse jokin annetuista vaihtoehdoista.",
        "{field}: choose one of the options given.",
    ),
    "problem.enum": (
        "{field}: valitse jokin annetuista vaihtoehdoista.",
        "{field}: choose one of the options given.",
    ),
    "problem.greater_than_equal": (
        "{field}: vähintään {ge}.",
        "{field}: must be at least {ge}.",
    ),
    "problem.greater_than": ("{field}: oltava suurempi kuin {gt}.", "{field}: must exceed {gt}."),
    "problem.less_than_equal": ("{field}: enintään {le}.", "{field}: must be at most {le}."),
    "problem.less_than": ("{field}: oltava pienempi kuin {lt}.", "{field}: must be below {lt}."),
    "problem.int_parsing": ("{field}: kirjoita kokonaisluku.", "{field}: write a whole number."),
    "problem.int_from_float": (
        "{field}: kirjoita kokonaisluku.",
        "{field}: write a whole number.",
    ),
    "problem.decimal_parsing": (
        "{field}: kirjoita luku, esimerkiksi 1250,50.",
        "{field}: write a number, for example 1250.50.",
    ),
    "problem.decimal_max_places": (
        "{field}: enintään {decimal_places} desimaalia.",
        "{field}: at most {decimal_places} decimals.",
    ),
    "problem.decimal_max_digits": (
        "{field}: enintään {max_digits} numeroa.",
        "{field}: at most {max_digits} digits.",
    ),
    "problem.decimal_whole_digits": (
        "{field}: luku on liian suuri.",
        "{field}: the number is too large.",
    ),
    "problem.date_parsing": (
        "{field}: kirjoita päivä muodossa 1.12.2027.",
        "{field}: write a date such as 1.12.2027 or 2027-12-01.",
    ),
    "problem.datetime_parsing": (
        "{field}: kirjoita aika muodossa 1.12.2027 14.30.",
        "{field}: write a time such as 1.12.2027 14.30 or 2027-12-01T14:30.",
    ),
    "problem.uuid_parsing": ("{field}: tunniste ei kelpaa.", "{field}: not a valid id."),
    "problem.extra_forbidden": ("{field}: tuntematon kenttä.", "{field}: unknown field."),
    "problem.json_invalid": (
        "{field}: ei kelvollista JSONia ({error}).",
        "{field}: not valid JSON ({error}).",
    ),
    "problem.not_found": ("{field}: ei löytynyt.", "{field}: not found."),
    "problem.invalid": ("{field}: virheellinen arvo.", "{field}: not a valid value."),
    "problem.value_error": ("{field}: virheellinen arvo.", "{field}: {error}."),
    "error.back": ("Etusivulle", "Back to the start"),
    # Search
    "search.title": ("Asiakashaku", "Customer search"),
    "search.query": ("Nimi tai sähköposti", "Name or e-mail"),
    "search.submit": ("Hae", "Search"),
    "search.none": ("Ei osumia.", "Nothing found."),
    "search.hint": (
        "Hae nimen osalla tai koko sähköpostiosoitteella.",
        "Search by part of a name or by a whole e-mail address.",
    ),
    "search.results": ("Hakutulokset", "Results"),
    # Customer
    "customer.profile": ("Perustiedot", "Profile"),
    "customer.kind": ("Tyyppi", "Kind"),
    "customer.customer_type": ("Asiakasryhmä", "Customer type"),
    "customer.name": ("Nimi", "Name"),
    "customer.email": ("Sähköposti", "E-mail"),
    "customer.phone": ("Puhelin", "Phone"),
    "customer.sector": ("Toimiala", "Sector"),
    "customer.account_manager": ("Asiakkuusvastaava", "Account manager"),
    "customer.first_seen": ("Asiakkaana alkaen", "Customer since"),
    "customer.membership": ("Kumppanuus", "Partner membership"),
    "customer.consents": ("Suostumukset", "Consents"),
    "customer.leads": ("Liidit", "Leads"),
    "customer.erased": ("Henkilötiedot poistettu", "Personal data erased"),
    "customer.granted": ("voimassa", "given"),
    "customer.not_granted": ("ei voimassa", "not given"),
    "customer.none": ("ei", "none"),
    # Creating and editing customers, owners and organisation roles
    "edit.new_customer": ("Uusi asiakas", "New customer"),
    "edit.create": ("Tallenna asiakas", "Save customer"),
    "edit.created": ("Asiakas tallennettu.", "Customer saved."),
    "edit.maybe_known": (
        "Samanniminen asiakas voi olla jo tiedossa",
        "A customer with a similar name may already be known",
    ),
    "edit.email_known": (
        "Tällä sähköpostiosoitteella on jo asiakas",
        "A customer with this e-mail address already exists",
    ),
    "edit.same_email": ("sama sähköposti", "same e-mail"),
    "edit.continue_help": (
        "Avaa olemassa oleva asiakas tai vahvista, että tämä on eri asiakas.",
        "Open the existing customer, or confirm that this is a different one.",
    ),
    "edit.confirm_new": (
        "Tämä on eri asiakas: tallenna uutena",
        "This is a different customer: save it as new",
    ),
    "edit.organisations_only": ("vain organisaatiot", "organisations only"),
    "edit.correct": (
        "Korjaa yhteystietoja tai vaihda vastuuhenkilö",
        "Correct contact details or change the owner",
    ),
    "edit.correct_help": (
        "Korjaus näkyy aikajanalla tekijän nimellä. Vanha sähköposti ei enää löydä asiakasta.",
        "The correction shows on the timeline with who made it;"
        " the old e-mail no longer finds the customer.",
    ),
    "edit.save": ("Tallenna korjaus", "Save the correction"),
    "edit.corrected": ("Yhteystiedot korjattu.", "Contact details corrected."),
    "edit.unchanged": ("Ei muutoksia tallennettavaksi.", "Nothing changed."),
    "edit.assign_owner": ("Nimeä asiakkuusvastaava", "Assign the owner"),
    "edit.owner_saved": ("Asiakkuusvastaava nimetty.", "Owner assigned."),
    "edit.organisations": ("Organisaatiot", "Organisations"),
    "edit.organisation": ("Lisää organisaatioon", "Add to an organisation"),
    "edit.organisation_hint": ("organisaation nimi", "organisation name"),
    "edit.person": ("Lisää henkilö", "Add a person"),
    "edit.person_hint": ("henkilön nimi tai sähköposti", "person's name or e-mail"),
    "edit.choose_one": ("Useita osumia: valitse yksi", "Several matches: choose one"),
    "edit.add_role": ("Lisää rooli", "Add the role"),
    "edit.end_role": ("Päätä rooli", "End the role"),
    "edit.since": ("alkaen", "since"),
    "edit.affiliated": ("Rooli lisätty.", "Role added."),
    "edit.affiliation_ended": ("Rooli päätetty.", "Role ended."),
    "error.required": ("Pakollinen tieto puuttuu.", "This field is required."),
    "error.too_long": ("Teksti on liian pitkä.", "The text is too long."),
    "error.choose": ("Valitse yksi vaihtoehdoista.", "Choose one of the options."),
    "error.no_match": ("Ei osumia tällä nimellä.", "Nothing matches this name."),
    # The organisation page
    "org.title": ("Organisaatio ja sen henkilöt", "The organisation and its people"),
    "org.figures": (
        "Organisaation ja sen henkilöiden luvut",
        "Figures of the organisation and its people",
    ),
    "org.own": ("Organisaatio", "Organisation"),
    "org.people_figures": ("Henkilöt", "People"),
    "org.combined": ("Yhteensä", "Together"),
    "org.people": ("Henkilöt rooleineen", "People and their roles"),
    "org.previous": ("Edelliset", "Previous"),
    "org.last_review": ("Viimeisin vuositarkastus", "Last annual review"),
    "org.reviews": ("Vuositarkastukset", "Annual reviews"),
    "org.open_leads": ("Avoimet liidit", "Open leads"),
    "org.completions": ("Henkilöstön suoritukset", "Staff course completions"),
    "org.credits": ("op", "credits"),
    "org.newest_completions": (
        "Näytetään 20 uusinta suoritusta.",
        "The 20 newest completions are shown.",
    ),
    # Timeline
    "timeline.title": ("Asiakaspolku", "Timeline"),
    "timeline.kind": ("Tapahtuma", "Event"),
    "timeline.institution": ("Korkeakoulu", "Institution"),
    "timeline.start": ("Alkaen", "From"),
    "timeline.end": ("Ennen", "Before"),
    "timeline.apply": ("Rajaa", "Apply"),
    "timeline.clear": ("Tyhjennä", "Clear"),
    "timeline.all": ("Kaikki", "All"),
    "timeline.empty": ("Ei tapahtumia.", "No events."),
    "timeline.next": ("Seuraava sivu", "Next page"),
    "timeline.first": ("Ensimmäinen sivu", "First page"),
    "timeline.when": ("Aika", "When"),
    "timeline.recorded_by": ("Kirjaaja", "Recorded by"),
    # Recording a touchpoint
    "record.title": ("Kirjaa asiakaskohtaaminen", "Record a touchpoint"),
    "record.kind": ("Kohtaamisen tyyppi", "Kind of touchpoint"),
    "record.choose": ("Valitse", "Choose"),
    "record.submit": ("Tallenna", "Save"),
    "record.saved": ("Kohtaaminen tallennettu.", "Touchpoint saved."),
    "record.invalid": ("Tarkista merkityt kentät.", "Check the marked fields."),
    "record.refused": ("Kirjausta ei hyväksytty", "The touchpoint was refused"),
    "refusal.consent": (
        "Asiakkaalla ei ollut voimassa olevaa suostumusta ({purpose}) ajankohtana {at}."
        " Kirjaa suostumus ensin.",
        "There was no valid consent for {purpose} on {at} (Finnish time)."
        " Record the consent first.",
    ),
    "record.optional": ("valinnainen", "optional"),
    # My customers
    "mine.title": ("Omat asiakkaat", "My customers"),
    "mine.owned": ("Vastuullani olevat asiakkaat", "Customers I own"),
    "mine.none": ("Ei asiakkaita.", "No customers."),
    "mine.count": ("asiakasta", "customers"),
    "mine.leads": ("Seurattavat liidit", "Leads to follow up"),
    "mine.leads_none": ("Ei avoimia liidejä.", "No open leads."),
    "mine.lead_id": ("Liidi", "Lead"),
    "mine.lead_stage": ("Vaihe", "Stage"),
    "mine.captured": ("Löydetty", "Captured"),
    "mine.days_open": ("Avoinna (pv)", "Days open"),
    "mine.target_group": ("Kohderyhmä", "Target group"),
    "mine.reviews": ("Vuositarkastus erääntymässä", "Partners due their annual review"),
    "mine.reviews_none": ("Ei erääntyviä vuositarkastuksia.", "No annual reviews due."),
    "mine.partner_since": ("Kumppani alkaen", "Partner since"),
    "mine.last_review": ("Edellinen vuositarkastus", "Last annual review"),
    "mine.no_review": ("ei pidetty", "none held"),
    "mine.review_due": ("Erääntyy", "Due"),
    # Users
    "users.title": ("Käyttäjät", "Users"),
    "users.add": ("Lisää käyttäjä", "Add a user"),
    "users.name": ("Käyttäjätunnus", "User name"),
    "users.role": ("Rooli", "Role"),
    "users.password": ("Salasana (vähintään 10 merkkiä)", "Password (10 characters or more)"),
    "users.status": ("Tila", "Status"),
    "users.active": ("voimassa", "active"),
    "users.revoked": ("poistettu käytöstä", "revoked"),
    "users.revoke": ("Poista käytöstä", "Revoke"),
    "users.created": (
        "Käyttäjä luotu. API-tunniste näytetään vain kerran:",
        "User created. The API token is shown only once:",
    ),
    "users.revoked_done": ("Käyttäjä poistettu käytöstä.", "User revoked."),
    "users.exists": ("Käyttäjätunnus on jo käytössä.", "That user name is taken."),
    "users.weak": (
        "Salasanassa on oltava vähintään 10 merkkiä.",
        "A password needs at least 10 characters.",
    ),
    "users.bad_name": (
        "Käyttäjätunnus: 1-100 merkkiä, kirjaimia, numeroita, piste, viiva tai alaviiva.",
        "User name: 1-100 letters, digits, dots, dashes or underscores.",
    ),
    # Fields
    "field.occurred_at": ("Ajankohta", "When it happened"),
    "field.institution": ("Korkeakoulu", "Institution"),
    "field.channel": ("Kanava", "Channel"),
    "field.notes": ("Muistiinpanot", "Notes"),
    "field.fair_name": ("Messut", "Fair"),
    "field.webinar_id": ("Webinaarin tunnus", "Webinar id"),
    "field.title": ("Otsikko", "Title"),
    "field.event_name": ("Tapahtuma", "Event"),
    "field.organiser": ("Järjestäjä", "Organiser"),
    "field.event_format": ("Muoto", "Format"),
    "field.topic": ("Aihe", "Topic"),
    "field.direction": ("Suunta", "Direction"),
    "field.marketing_purpose": ("Markkinoinnin tarkoitus", "Marketing purpose"),
    "field.purpose": ("Tarkoitus", "Purpose"),
    "field.campaign": ("Kampanja", "Campaign"),
    "field.newsletter": ("Uutiskirje", "Newsletter"),
    "field.page": ("Sivu", "Page"),
    "field.platform": ("Palvelu", "Platform"),
    "field.interaction": ("Vuorovaikutus", "Interaction"),
    "field.lead_id": ("Liidin tunnus", "Lead id"),
    "field.source_channel": ("Lähdekanava", "Source channel"),
    "field.target_group": ("Kohderyhmä", "Target group"),
    "field.interest": ("Kiinnostus", "Interest"),
    "field.reason": ("Syy", "Reason"),
    "field.purchase_id": ("Oston tunnus", "Purchase id"),
    "field.offering": ("Tuote tai palvelu", "Offering"),
    "field.offering_type": ("Palvelutyyppi", "Offering type"),
    "field.amount": ("Summa (EUR)", "Amount (EUR)"),
    "field.invoice_reference": ("Laskun viite", "Invoice reference"),
    "field.score": ("Arvosana (0-10)", "Score (0-10)"),
    "field.comment": ("Kommentti", "Comment"),
    "field.lawful_basis": ("Käsittelyperuste", "Lawful basis"),
    "field.evidence": ("Näyttö", "Evidence"),
    "field.tier": ("Taso", "Tier"),
    "field.next_review_due": ("Seuraava vuositarkastus", "Next review due"),
    "field.course": ("Kurssi", "Course"),
    "field.credits": ("Opintopisteet", "Credits"),
    "field.customer_kind": ("Tyyppi", "Kind"),
    "field.customer_type": ("Asiakasryhmä", "Customer type"),
    "field.name": ("Nimi", "Name"),
    "field.email": ("Sähköposti", "E-mail"),
    "field.phone": ("Puhelin", "Phone"),
    "field.sector": ("Toimiala", "Sector"),
    "field.account_manager": ("Asiakkuusvastaava", "Account manager"),
    "field.organisation_id": ("Organisaatio", "Organisation"),
    "field.role": ("Rooli", "Role"),
    "field.password": ("Salasana", "Password"),
    "field.token": ("API-tunniste", "API token"),
    "field.next": ("Paluuosoite", "Return address"),
    "field.rule": ("Ehdot", "Conditions"),
    "field.customer": ("Asiakas", "Customer"),
    # Vocabulary values
    "value.person": ("henkilö", "person"),
    "value.organisation": ("organisaatio", "organisation"),
    "value.private_organisation": ("yksityinen organisaatio", "private organisation"),
    "value.public_organisation": ("julkinen organisaatio", "public organisation"),
    "value.individual": ("yksityishenkilö", "individual"),
    "value.joint": ("yhteinen (Tampere3)", "joint (Tampere3)"),
    "value.fair": ("messut", "fair"),
    "value.company_visit": ("yritysvierailu", "company visit"),
    "value.phone": ("puhelin", "phone"),
    "value.own_event": ("oma tapahtuma", "own event"),
    "value.third_party_event": ("muiden tapahtuma", "third-party event"),
    "value.training": ("koulutus", "training"),
    "value.webinar": ("webinaari", "webinar"),
    "value.taster_session": ("maistiainen", "taster session"),
    "value.newsletter": ("uutiskirje", "newsletter"),
    "value.email": ("sähköposti", "e-mail"),
    "value.social_media": ("some", "social media"),
    "value.chat": ("chat", "chat"),
    "value.web_service": ("verkkopalvelu", "web service"),
    "value.import": ("tuonti", "import"),
    "value.other": ("muu", "other"),
    "value.email_marketing": ("sähköpostimarkkinointi", "e-mail marketing"),
    "value.phone_marketing": ("puhelinmarkkinointi", "phone marketing"),
    "value.event_invitations": ("tapahtumakutsut", "event invitations"),
    "value.consent": ("suostumus", "consent"),
    "value.contract": ("sopimus", "contract"),
    "value.legitimate_interest": ("oikeutettu etu", "legitimate interest"),
    "value.legal_obligation": ("lakisääteinen velvoite", "legal obligation"),
    "value.open_training": ("avoin koulutus", "open training"),
    "value.company_training": ("yrityskoulutus", "company training"),
    "value.coaching": ("valmennus", "coaching"),
    "value.career_guidance": ("uraohjaus", "career guidance"),
    "value.mentoring": ("mentorointi", "mentoring"),
    "value.consulting": ("konsultointi", "consulting"),
    "value.research_service": ("tutkimuspalvelu", "research service"),
    "value.free": ("maksuton", "free"),
    "value.paid": ("maksullinen", "paid"),
    "value.own": ("oma", "own"),
    "value.third_party": ("muu järjestäjä", "third party"),
    "value.event": ("tapahtuma", "event"),
    "value.seminar": ("seminaari", "seminar"),
    "value.inbound": ("saapuva", "inbound"),
    "value.outbound": ("lähtevä", "outbound"),
    "value.captured": ("löydetty", "captured"),
    "value.qualified": ("hyväksytty", "qualified"),
    "value.converted": ("kauppa", "converted"),
    "value.lost": ("menetetty", "lost"),
    # Event kinds
    "kind.registered": ("Rekisteröity", "Registered"),
    "kind.profile_corrected": ("Tietoja korjattu", "Profile corrected"),
    "kind.account_manager_assigned": ("Asiakkuusvastaava nimetty", "Account manager assigned"),
    "kind.affiliation_started": ("Liittyi organisaatioon", "Affiliation started"),
    "kind.affiliation_ended": ("Organisaatiosuhde päättyi", "Affiliation ended"),
    "kind.consent_expired": ("Suostumus vanheni", "Consent expired"),
    "kind.erased": ("Henkilötiedot poistettu", "Erased"),
    "kind.processing_restricted": ("Käsittelyä rajoitettu", "Processing restricted"),
    "kind.restriction_lifted": ("Rajoitus poistettu", "Restriction lifted"),
    "kind.fair_visited": ("Messukäynti", "Fair visit"),
    "kind.webinar_registered": ("Ilmoittautui webinaariin", "Webinar registration"),
    "kind.webinar_attended": ("Osallistui webinaariin", "Webinar attended"),
    "kind.event_attended": ("Osallistui tapahtumaan", "Event attended"),
    "kind.company_visited": ("Yritysvierailu", "Company visit"),
    "kind.phone_call_made": ("Puhelu", "Phone call"),
    "kind.marketing_email_sent": ("Markkinointiviesti", "Marketing e-mail"),
    "kind.newsletter_sent": ("Uutiskirje lähetetty", "Newsletter sent"),
    "kind.newsletter_subscribed": ("Tilasi uutiskirjeen", "Newsletter subscribed"),
    "kind.newsletter_unsubscribed": ("Peruutti uutiskirjeen", "Newsletter unsubscribed"),
    "kind.chat_conversation_held": ("Chat-keskustelu", "Chat conversation"),
    "kind.web_service_visited": ("Verkkopalvelukäynti", "Web service visit"),
    "kind.social_media_interacted": ("Somevuorovaikutus", "Social media interaction"),
    "kind.lead_captured": ("Liidi löydetty", "Lead captured"),
    "kind.lead_qualified": ("Liidi hyväksytty", "Lead qualified"),
    "kind.lead_converted": ("Liidistä kauppa", "Lead converted"),
    "kind.lead_lost": ("Liidi menetetty", "Lead lost"),
    "kind.purchase_made": ("Osto", "Purchase"),
    "kind.purchase_refunded": ("Hyvitys", "Refund"),
    "kind.feedback_given": ("Palaute", "Feedback"),
    "kind.consent_given": ("Suostumus annettu", "Consent given"),
    "kind.consent_withdrawn": ("Suostumus peruttu", "Consent withdrawn"),
    "kind.partner_membership_started": ("Kumppanuus alkoi", "Partner membership started"),
    "kind.partner_membership_changed": ("Kumppanuus muuttui", "Partner membership changed"),
    "kind.partner_membership_ended": ("Kumppanuus päättyi", "Partner membership ended"),
    "kind.annual_review_held": ("Vuositarkastus", "Annual review"),
    "kind.course_completed": ("Kurssi suoritettu", "Course completed"),
    "kind.recommendation_given": ("Suositteli", "Recommendation"),
    # Segment builder
    "segments.title": ("Segmentit", "Segments"),
    "segments.new": ("Uusi segmentti", "New segment"),
    "segments.all": ("Kaikki segmentit", "All segments"),
    "segments.none": ("Ei segmenttejä.", "No segments."),
    "segments.name": ("Nimi", "Name"),
    "segments.version": ("Versio", "Version"),
    "segments.changed": ("Muutettu", "Changed"),
    "segments.rule": ("Sääntö", "Rule"),
    "segments.rule_json": ("Ehdot (JSON)", "Conditions (JSON)"),
    "segments.rule_help": (
        "all / any / not, field + op + value, consent, webinars_attended, touchpoints,"
        " purchased_within_days, sector, institution, lifecycle_stage.",
        "all / any / not, field + op + value, consent, webinars_attended, touchpoints,"
        " purchased_within_days, sector, institution, lifecycle_stage.",
    ),
    "segments.count": ("Asiakkaita", "Customers"),
    "segments.explain_for": ("Selitä asiakkaalle (tunniste)", "Explain for customer (id)"),
    "segments.preview": ("Laske ja esikatsele", "Count and preview"),
    "segments.explain": ("Selitä", "Explain"),
    "segments.save": ("Tallenna", "Save"),
    "segments.export": ("Vienti (CSV)", "Export (CSV)"),
    "segments.purpose": ("Markkinoinnin tarkoitus", "Marketing purpose"),
    "segments.export_help": (
        "Vain asiakkaat, joilla on nyt voimassa suostumus tähän tarkoitukseen;"
        " ei poistettuja eikä rajoitettuja. Sarakkeet: tunniste, nimi, sähköposti.",
        "Only customers with a consent for this purpose valid now; never erased or"
        " restricted ones. Columns: id, name, e-mail.",
    ),
    "segments.download": ("Lataa CSV", "Download CSV"),
    "segments.exports": ("Viennit", "Exports"),
    "segments.sizes": ("Koko päivittäin", "Size by day"),
    "segments.explained": ("Selitys", "Explanation"),
    "segments.member": ("kuuluu segmenttiin", "member"),
    "segments.not_member": ("ei kuulu segmenttiin", "not a member"),
    "segments.erased": ("poistettu", "erased"),
    "segments.restricted": ("käsittely rajoitettu", "processing restricted"),
    "segments.held": ("täyttyy", "holds"),
    "segments.not_held": ("ei täyty", "does not hold"),
    "segments.preview_caption": (
        "Esikatselu: viimeksi aktiiviset",
        "Preview: most recently active",
    ),
    "segments.customer": ("Asiakas", "Customer"),
    "segments.sector": ("Toimiala", "Sector"),
    "segments.institution": ("Korkeakoulu", "Institution"),
    "segments.stage": ("Elinkaaren vaihe", "Lifecycle stage"),
    "segments.revenue": ("Myynti (€)", "Revenue (EUR)"),
    "segments.last_activity": ("Viimeksi aktiivinen", "Last active"),
}


def normalise_language(language: str | None) -> str:
    """A supported language code, Finnish when unknown."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str) -> str:
    """The text for a key; unknown keys fall back to a readable form of the key's last part."""
    texts = TEXTS.get(key)
    if texts is None:
        return key.rsplit(".", 1)[-1].replace("_", " ")
    return texts[LANGUAGES.index(normalise_language(language))]


def translate_value(language: str, value: object) -> str:
    """A vocabulary value in the language; anything else (names, ids, amounts) as it is."""
    if isinstance(value, str) and f"value.{value}" in TEXTS:
        return translate(language, f"value.{value}")
    return "" if value is None else str(value)


PROBLEM_ALIASES = {
    "date_from_datetime_parsing": "date_parsing",
    "date_from_datetime_inexact": "date_parsing",
    "datetime_from_date_parsing": "datetime_parsing",
    "timezone_aware": "datetime_parsing",
    "string_type": "invalid",
    "int_type": "int_parsing",
    "decimal_type": "decimal_parsing",
    "union_tag_invalid": "literal_error",
}
"""Pydantic error types that read the same to a person as another type's text."""


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def field_label(language: str, field: str) -> str:
    """The label a form shows for a field, in the language (the field's name if it has none)."""
    return translate(language, f"field.{field}") if f"field.{field}" in TEXTS else field


def field_problem(
    language: str, field: str, error_type: str, context: dict[str, object] | None = None
) -> str:
    """What is wrong with a form field, naming the field by its label: the one translation of
    pydantic's error types (and the domain's field errors, as `value_error`) every form uses."""
    error_type = PROBLEM_ALIASES.get(error_type, error_type)
    key = f"problem.{error_type}" if f"problem.{error_type}" in TEXTS else "problem.invalid"
    values = _Blank({k: str(v) for k, v in (context or {}).items()})
    values["field"] = field_label(language, field)
    return translate(language, key).format_map(values)


def translator(language: str) -> Callable[[str], str]:
    """`translate` bound to one language, for templates."""
    return lambda key: translate(language, key)
