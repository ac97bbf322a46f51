"""The finance page: open receivables aged by days late, purchases to invoice, revenue by
invoice date and the accounting export. Invoices, payments and credits are application
commands, as through the API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.http.dependencies import provenance
from api.http.routes.finance import export_csv, revenue_period, today
from api.web.forms import (
    domain_field_error,
    field_problems,
    link_position,
    parse_local_date,
    refusal_text,
)
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError, RuleViolationError
from projections.views.directory import CustomerDirectory
from projections.views.receivables import BUCKETS, DIMENSIONS, Bucket, Dimension, Receivables

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
PAGE_SIZE = 25
PAYMENT_TERM_DAYS = 14
MAX_AMOUNT = Decimal("100000000")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/finance")
def finance_page(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    bucket: str = "",
    by: str = "month",
    start: str = "",
    end: str = "",
    offset: str = "0",
    purchases_offset: str = "0",
) -> Response:
    """Receivables with ageing, purchases to invoice and revenue, in one page."""
    return _page(request, user, access, dict(request.query_params))


@router.get("/finance/export.csv", responses={200: {"content": {"text/csv": {}}}})
def export_page(
    request: Request, user: SignedIn, access: AccessLogged, start: str = "", end: str = ""
) -> Response:
    """The accounting export of the period chosen on the page."""
    first, last = _period(start, end)
    if first is None or last is None:
        return _page(request, user, access, dict(request.query_params), status=422)
    text = export_csv(_services(request), access, user, first, last)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="invoices-{first}-{last}.csv"'},
    )


@router.post("/finance/invoices")
async def invoice_purchase(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """Invoice a purchase from the list of purchases to invoice."""
    form = await _form(request)
    problems: dict[str, str] = {}
    invoice_date = _date(form, "invoice_date", problems)
    due_date = _date(form, "due_date", problems)
    amount = _amount(form, problems)
    number = form.get("invoice_number", "").strip()
    if not number:
        problems["invoice_number"] = _problem(request, "invoice_number", "missing")
    elif len(number) > 60:
        problems["invoice_number"] = _problem(request, "invoice_number", "string_too_long")
    if problems or invoice_date is None or due_date is None or amount is None:
        return _page(request, user, access, {}, problems=problems, status=422)
    return _run(
        request,
        user,
        access,
        form,
        lambda services, cid, by: services.crm.invoice_purchase(
            cid,
            by,
            purchase_id=form.get("purchase_id", ""),
            invoice_number=number,
            invoice_date=invoice_date,
            due_date=due_date,
            amount=amount,
        ),
        "finance.invoiced",
    )


@router.post("/finance/payments")
async def settle_invoice(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """Record a payment or, with a reason, a credit note against an open invoice."""
    form = await _form(request)
    problems: dict[str, str] = {}
    on = _date(form, "on", problems)
    amount = _amount(form, problems)
    action = form.get("action", "")
    reason = form.get("reason", "").strip()
    if action not in ("pay", "credit"):
        problems["action"] = _problem(request, "action", "invalid")
    elif action == "credit" and not reason:
        problems["reason"] = _problem(request, "reason", "missing")
    if problems or on is None or amount is None:
        return _page(request, user, access, {}, problems=problems, status=422)
    number = form.get("invoice_number", "")
    if action == "pay":
        return _run(
            request,
            user,
            access,
            form,
            lambda services, cid, by: services.crm.pay_invoice(
                cid, by, invoice_number=number, paid_on=on, amount=amount
            ),
            "finance.paid",
        )
    return _run(
        request,
        user,
        access,
        form,
        lambda services, cid, by: services.crm.credit_invoice(
            cid, by, invoice_number=number, credited_on=on, amount=amount, reason=reason
        ),
        "finance.credited",
    )


# Mechanism ----------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _problem(request: Request, field: str, error_type: str) -> str:
    return field_problems(language_of(request), [{"loc": (field,), "type": error_type}])[field]


def _date(form: dict[str, str], field: str, problems: dict[str, str]) -> date | None:
    try:
        return parse_local_date(form.get(field, ""))
    except ValueError:
        problems[field] = field
        return None


def _amount(form: dict[str, str], problems: dict[str, str]) -> Decimal | None:
    text = form.get("amount", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems["amount"] = "amount"
        return None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        problems["amount"] = "amount"
        return None
    return amount.quantize(Decimal("0.01"))


def _run(
    request: Request,
    user: User,
    access: Any,
    form: dict[str, str],
    command: Any,
    message: str,
) -> Response:
    services = _services(request)
    by = provenance(
        user,
        occurred_at=None,
        institution="joint",
        channel="other",
        idempotency_key=f"web:{form.get('idempotency_key') or uuid4()}",
    )
    try:
        recorded = command(services, UUID(form.get("customer_id", "")), by)
    except InvalidFieldError as error:
        problems = field_problems(language_of(request), [domain_field_error(error)])
        return _page(request, user, access, {}, problems=problems, status=422)
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        return _page(
            request,
            user,
            access,
            {},
            problems={"": refusal_text(language_of(request), error)},
            status=409,
        )
    services.views.get(Receivables).wait_for(recorded.position, services.settings.read_wait_timeout)
    back = {"done": message, **{k: form[k] for k in ("bucket", "by") if form.get(k)}}
    return redirect(request, f"/ui/finance?{urlencode(back)}")


def _period(start: str, end: str) -> tuple[date | None, date | None]:
    try:
        first = parse_local_date(start) if start.strip() else None
        last = parse_local_date(end) if end.strip() else None
        return revenue_period(first, last)
    except (ValueError, InvalidFieldError):
        return None, None


def _page(
    request: Request,
    user: User,
    access: Any,
    query: dict[str, str],
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    services = _services(request)
    view = services.views.get(Receivables)
    language = language_of(request)
    problems = dict(problems or {})
    for field in ("invoice_date", "due_date", "on"):
        if problems.get(field) == field:
            problems[field] = field_problems(language, [{"loc": (field,), "type": "date"}])[field]
    if problems.get("amount") == "amount":
        problems["amount"] = field_problems(
            language, [{"loc": ("amount",), "type": "greater_than", "ctx": {"gt": 0}}]
        )["amount"]
    day = today()
    bucket: Bucket | None = next((b for b in BUCKETS if b == query.get("bucket")), None)
    by: Dimension = next((d for d in DIMENSIONS if d == query.get("by")), "month")
    first, last = _period(query.get("start", ""), query.get("end", ""))
    if first is None or last is None:
        problems["end"] = field_problems(language, [{"loc": ("end",), "type": "date"}])["end"]
        first, last = revenue_period(None, None)
        status = 422 if status == 200 else status
    offset = link_position(query.get("offset"), 0)
    purchases_offset = link_position(query.get("purchases_offset"), 0)
    rows, total = view.open_invoices(day, bucket, offset=offset, limit=PAGE_SIZE)
    purchases, purchases_total = view.uninvoiced(offset=purchases_offset, limit=PAGE_SIZE)
    customers = list(dict.fromkeys(r["customer_id"] for r in (*rows, *purchases)))
    access.record(user, customers)
    names = services.views.get(CustomerDirectory).names(customers)
    kept = {k: v for k, v in (("bucket", bucket), ("by", by)) if v}

    def link(**change: object) -> str:
        return urlencode({**kept, "offset": offset, "purchases_offset": purchases_offset, **change})

    context = {
        "as_of": day,
        "ageing": view.ageing(day),
        "buckets": BUCKETS,
        "bucket": bucket,
        "invoices": rows,
        "total": total,
        "first": offset + 1 if rows else 0,
        "last": offset + len(rows),
        "previous": link(offset=max(offset - PAGE_SIZE, 0)) if offset else None,
        "next": link(offset=offset + PAGE_SIZE) if offset + len(rows) < total else None,
        "purchases": purchases,
        "purchases_total": purchases_total,
        "purchases_first": purchases_offset + 1 if purchases else 0,
        "purchases_last": purchases_offset + len(purchases),
        "purchases_previous": link(purchases_offset=max(purchases_offset - PAGE_SIZE, 0))
        if purchases_offset
        else None,
        "purchases_next": link(purchases_offset=purchases_offset + PAGE_SIZE)
        if purchases_offset + len(purchases) < purchases_total
        else None,
        "names": names,
        "by": by,
        "dimensions": DIMENSIONS,
        "revenue": view.revenue(by, first, last),
        "start": first,
        "end": last,
        "export": urlencode({"start": first.isoformat(), "end": last.isoformat()}),
        "due_default": day + timedelta(days=PAYMENT_TERM_DAYS),
        "problems": problems,
    }
    return render(request, "finance.html", context, status=status)
