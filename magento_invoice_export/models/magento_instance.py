import re
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..export.const import RESOURCE_NAMES
from ..magento_client import (
    MagentoAuthError,
    MagentoClient,
    MagentoError,
)
from ..magento_client.client import OAUTH_KEY_LENGTH, oauth_key_problem, url_problem

# Magento's check of a backend frontName (module-backend/Setup/ConfigOptionsList.php:72).
ADMIN_PATH = re.compile(r"[A-Za-z0-9_]+")
ADMIN_ROUTES = {
    "invoice": "sales/invoice/view/invoice_id",
    "creditmemo": "sales/creditmemo/view/creditmemo_id",
}
# Where the credentials go: only Settings administrators change these.
CONNECTION_FIELDS = {"url", "store_code", "auth_method", "verify_tls"}
CREDENTIAL_FIELDS = (
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
    "bearer_token",
)


class MagentoInstance(models.Model):
    _name = "magento.instance"
    _inherit = ["mail.thread"]
    _description = "Magento Instance"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    url = fields.Char(
        string="Shop Base URL",
        required=True,
        help="The shop's address, without /rest: for example https://shop.example.com",
        tracking=True,
    )
    store_code = fields.Char(
        string="REST Store Code",
        required=True,
        default="default",
        help="The store view code used in REST URLs (/rest/<code>/V1/...).",
        tracking=True,
    )
    magento_store_id = fields.Integer(
        string="Store View ID",
        copy=False,
        help="The id of the store view with this code, which Magento's order lists do not filter on by "
        "themselves: the import takes only this store view's orders. Filled from Magento by Test "
        "Connection or the first import; the code 'all' takes every store view.",
        tracking=True,
    )
    shop_key = fields.Char(
        compute="_compute_shop_key",
        store=True,
        index=True,
        help="The shop's address, normalised: instances of one shop share it, and so do their orders.",
    )
    timeout = fields.Integer(
        string="Request Timeout (s)",
        default=30,
        required=True,
        help="How long one request to Magento may take, whole: connecting, sending and Magento's complete "
        "answer. A server still answering after that is given up (an invoice sent may then exist in Magento, "
        "and is looked up before it is sent again).",
        tracking=True,
    )
    verify_tls = fields.Boolean(
        string="Verify TLS Certificate",
        default=True,
        help="Turn off only for a test shop with a self-signed certificate.",
        tracking=True,
    )
    auth_method = fields.Selection(
        [("oauth", "OAuth 1.0a (Magento integration)"), ("bearer", "Bearer token")],
        string="Authentication",
        default="oauth",
        required=True,
        help="Magento 2.4.4+ accepts integration tokens only with OAuth 1.0a "
        "signatures, unless 'Allow OAuth Access Tokens to be used as standalone "
        "Bearer tokens' is enabled in its configuration.",
        tracking=True,
    )
    consumer_key = fields.Char(groups="base.group_system", copy=False)
    consumer_secret = fields.Char(groups="base.group_system", copy=False)
    access_token = fields.Char(groups="base.group_system", copy=False)
    access_token_secret = fields.Char(groups="base.group_system", copy=False)
    bearer_token = fields.Char(
        groups="base.group_system",
        copy=False,
        help="An integration's Access Token (it does not expire; Magento 2.4.4+ accepts it as a bearer token only "
        "with 'Allow OAuth Access Tokens to be used as standalone Bearer tokens' on). An admin token "
        "(POST /V1/integration/admin/token) expires after 4 hours by default (Stores > Configuration > Services > "
        "OAuth > Access Token Expiration > Admin Token Lifetime): then every run stops with the credentials refused.",
    )
    admin_path = fields.Char(
        default="admin",
        required=True,
        help="The path of Magento's admin after the shop's address: Magento's backend frontName, admin unless "
        "the shop chose another at installation (app/etc/env.php, 'backend' => ['frontName' => ...]). "
        "Open in Magento links an exported invoice or credit memo to its page there.",
        tracking=True,
    )
    notify_customer_on_invoice = fields.Boolean(
        string="Magento Emails the Customer Each Invoice",
        help="When set, Magento emails the customer as each exported invoice is created.",
        tracking=True,
    )
    notify_customer_on_creditmemo = fields.Boolean(
        string="Magento Emails the Customer Each Credit Memo",
        help="When set, Magento emails the customer as each exported credit memo is created.",
        tracking=True,
    )
    return_to_stock = fields.Boolean(
        string="Return Refunded Items to Stock",
        help="Exported credit memos ask Magento to put their items back in stock (Magento's own setting "
        "decides when this is off).",
        tracking=True,
    )
    shipping_incl_tax = fields.Boolean(
        string="Shipping Shown Including Tax",
        help="Set it as Magento's Stores > Configuration > Sales > Tax > Orders, Invoices, Credit Memos Display "
        'Settings > Display Shipping Amount: on for "Including Tax", off for "Excluding Tax" and "Including '
        "and Excluding Tax\". Magento then reads a credit memo's shipping refund including tax; Magento's REST "
        "API does not tell this setting.",
        tracking=True,
    )
    export_concurrency = fields.Integer(
        string="Requests in Flight",
        default=8,
        required=True,
        help="How many invoice requests the bulk export keeps in flight at once. Invoices of one "
        "order always go one after the other.",
        tracking=True,
    )
    can_edit_connection = fields.Boolean(compute="_compute_can_edit_connection")
    last_order_update = fields.Datetime(
        string="Orders Imported Up To",
        copy=False,
        help="The scheduled import takes the orders created or changed in Magento since then.",
    )
    payment_method_ids = fields.One2many("magento.payment.method", "instance_id", string="Payment Methods")
    payment_method_count = fields.Integer(compute="_compute_payment_method_count")
    invoice_count = fields.Integer(compute="_compute_trail_counts")
    order_count = fields.Integer(compute="_compute_trail_counts")
    log_count = fields.Integer(compute="_compute_trail_counts")
    settings_summary = fields.Text(compute="_compute_settings_summary")

    _sql_constraints = [
        ("timeout_positive", "CHECK(timeout > 0)", "The request timeout must be a positive number of seconds."),
        ("concurrency_range", "CHECK(export_concurrency BETWEEN 1 AND 32)", "Requests in flight must be from 1 to 32."),
    ]

    def _compute_trail_counts(self):
        # Counts only (read as superuser): the buttons open what the user may see.
        counts = {}
        for model, field, key in (
            ("account.move", "magento_instance_id", "invoice_count"),
            ("sale.order", "magento_instance_id", "order_count"),
            ("magento.process.log", "instance_id", "log_count"),
        ):
            counts[key] = dict(self.env[model].sudo()._read_group([(field, "in", self.ids)], [field], ["__count"]))
        for instance in self:
            for key, per_instance in counts.items():
                instance[key] = per_instance.get(instance, 0)

    @api.depends(
        "url",
        "store_code",
        "magento_store_id",
        "auth_method",
        "notify_customer_on_invoice",
        "notify_customer_on_creditmemo",
        "return_to_stock",
    )
    def _compute_settings_summary(self):
        for instance in self:
            view = (
                self.env._("every store view")
                if instance.store_code == "all"
                else self.env._("store view %(code)s", code=instance.store_code)
            )
            parts = [
                self.env._("Invoices go to %(url)s (%(view)s),", url=instance.url or "?", view=view),
                self.env._("signed with OAuth 1.0a.")
                if instance.auth_method == "oauth"
                else self.env._("with a bearer token."),
                self.env._("Magento emails the customer each invoice.")
                if instance.notify_customer_on_invoice
                else self.env._("Magento does not email the customer."),
                self.env._("Credit notes become credit memos, emailed to the customer.")
                if instance.notify_customer_on_creditmemo
                else self.env._("Credit notes become credit memos, not emailed."),
            ]
            if instance.return_to_stock:
                parts.append(self.env._("Their items return to stock."))
            instance.settings_summary = " ".join(parts)

    def _open(self, xmlid, domain):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = {}
        return action

    def action_view_invoices(self):
        self.ensure_one()
        return self._open("magento_invoice_export.action_magento_invoices", [("magento_instance_id", "=", self.id)])

    def action_view_orders(self):
        self.ensure_one()
        return self._open("sale.action_orders", [("magento_instance_id", "=", self.id)])

    def action_view_logs(self):
        self.ensure_one()
        return self._open("magento_invoice_export.action_magento_process_log", [("instance_id", "=", self.id)])

    @api.depends_context("uid")
    def _compute_can_edit_connection(self):
        self.can_edit_connection = self.env.user.has_group("base.group_system")

    @api.depends("url")
    def _compute_shop_key(self):
        for instance in self:
            parts = urlsplit((instance.url or "").strip().lower())
            port = parts.port
            host = parts.hostname or ""
            if port and (parts.scheme, port) not in (("http", 80), ("https", 443)):
                host = f"{host}:{port}"
            instance.shop_key = f"{host}{parts.path.rstrip('/')}" if host else False

    @api.depends("payment_method_ids")
    def _compute_payment_method_count(self):
        counts = dict(
            self.env["magento.payment.method"]._read_group(
                [("instance_id", "in", self.ids)], ["instance_id"], ["__count"]
            )
        )
        for instance in self:
            instance.payment_method_count = counts.get(instance, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        Order = self.env["sale.order"].sudo().with_context(active_test=False)
        Move = self.env["account.move"].sudo()
        Log = self.env["magento.process.log"].sudo()
        for instance in self:
            domain = [("magento_instance_id", "=", instance.id)]
            if (
                Order.search_count(domain, limit=1)
                or Move.search_count(domain, limit=1)
                or Log.search_count([("instance_id", "=", instance.id)], limit=1)
            ):
                raise UserError(
                    self.env._(
                        "%(name)s has orders, invoices or process logs: archive it instead (Actions > Archive). "
                        "Deleting it would erase their link to Magento and the audit trail.",
                        name=instance.name,
                    )
                )

    def write(self, vals):
        if CONNECTION_FIELDS & set(vals) and not (self.env.su or self.env.user.has_group("base.group_system")):
            # Whoever points an instance elsewhere sends its keys there (Test Connection does at once).
            raise AccessError(
                self.env._(
                    "Only a Settings administrator may change where Odoo sends the Magento credentials: the shop "
                    "base URL, the store code, the authentication and TLS verification."
                )
            )
        if {"url", "store_code"} & set(vals) and "magento_store_id" not in vals:
            # Another shop or store view: its id is asked of Magento again.
            vals = dict(vals, magento_store_id=0)
        return super().write(vals)

    @api.constrains(
        "auth_method", "consumer_key", "consumer_secret", "access_token", "access_token_secret", "bearer_token"
    )
    def _check_oauth_keys(self):
        labels = {name: self._fields[name].get_description(self.env)["string"] for name in CREDENTIAL_FIELDS}
        for instance in self.sudo():
            token = instance.bearer_token or ""
            if any(ord(char) < 33 or ord(char) == 127 for char in token):
                raise ValidationError(
                    self.env._(
                        "The Bearer Token of %(name)s holds a space, a line break or another character no token "
                        "has: copy it again.",
                        name=instance.name,
                    )
                )
        for instance in self.sudo().filtered(lambda i: i.auth_method == "oauth"):
            for name in ("consumer_key", "consumer_secret", "access_token", "access_token_secret"):
                value = instance[name]
                if not value or not oauth_key_problem(value):
                    continue
                if len(value) == OAUTH_KEY_LENGTH or any(ord(char) < 33 or ord(char) > 126 for char in value):
                    raise ValidationError(
                        self.env._(
                            "The %(key)s of %(name)s holds a space, a line break or another character Magento never "
                            "puts in a key: copy it again.",
                            key=labels[name],
                            name=instance.name,
                        )
                    )
                raise ValidationError(
                    self.env._(
                        "The %(key)s of %(name)s has %(length)s characters where Magento's keys have %(expected)s: "
                        "copy it again, whole, from the integration in Magento.",
                        key=labels[name],
                        name=instance.name,
                        length=len(value),
                        expected=OAUTH_KEY_LENGTH,
                    )
                )

    @api.constrains("admin_path")
    def _check_admin_path(self):
        for instance in self:
            if not ADMIN_PATH.fullmatch((instance.admin_path or "").strip().strip("/")):
                raise ValidationError(
                    self.env._(
                        "The Admin Path of %(name)s is Magento's backend frontName, such as admin or "
                        "backoffice_7x2: letters, digits and underscores only, without the shop's address.",
                        name=instance.name,
                    )
                )

    def _magento_admin_url(self, kind, entity_id):
        """The page of a Magento invoice or credit memo (``kind``: "invoice",
        "creditmemo") in Magento's admin, or False.

        Magento's admin routes: module-sales/etc/adminhtml/routes.xml (front
        name "sales"); Controller/Adminhtml/Invoice/AbstractInvoice/View.php
        reads invoice_id, Creditmemo/AbstractCreditmemo/View.php creditmemo_id.
        With 'Add Secret Key to URLs' on, Magento opens its dashboard instead."""
        self.ensure_one()
        instance = self.sudo()  # a link on a document its reader may open, instance or not
        base = (instance.url or "").strip().rstrip("/")
        if not (base and entity_id and kind in ADMIN_ROUTES):
            return False
        path = (instance.admin_path or "admin").strip().strip("/")
        return f"{base}/{path}/{ADMIN_ROUTES[kind]}/{entity_id}/"

    @api.constrains("url")
    def _check_url(self):
        # The messages never repeat the URL: it may hold a password.
        for instance in self:
            problem = url_problem(instance.url)
            if not problem:
                continue
            sentences = {
                "scheme": self.env._(
                    "The shop base URL of %(name)s must start with http:// or https://, for example "
                    "https://shop.example.com.",
                    name=instance.name,
                ),
                "malformed": self.env._(
                    "The shop base URL of %(name)s is not a well-formed address (an unclosed [ of an IPv6 address?).",
                    name=instance.name,
                ),
                "credentials": self.env._(
                    "The shop base URL of %(name)s must not hold a user name or password: the Magento keys go in "
                    "the instance's credentials. Enter the URL again without them.",
                    name=instance.name,
                ),
                "host": self.env._(
                    "The shop base URL of %(name)s has no valid host name (a space, or a character that no "
                    "host name has?).",
                    name=instance.name,
                ),
                "port": self.env._(
                    "The shop base URL of %(name)s has a port that is not a number from 1 to 65535.",
                    name=instance.name,
                ),
                "rest": self.env._(
                    "The shop base URL of %(name)s must stop before /rest, for example https://shop.example.com: "
                    "the export adds /rest/<store code>/V1/... itself.",
                    name=instance.name,
                ),
                "query": self.env._(
                    "The shop base URL of %(name)s must not hold a query (?...) or a fragment (#...), for example "
                    "https://shop.example.com.",
                    name=instance.name,
                ),
            }
            raise ValidationError(sentences[problem[0]])

    # ------------------------------------------------------------------
    # Client
    # ------------------------------------------------------------------
    def _client_settings(self):
        """The client's settings; credentials are read as superuser so that any
        user allowed to export uses them without being able to read them."""
        self.ensure_one()
        instance = self.sudo()
        return {
            "base_url": instance.url,
            "store_code": instance.store_code,
            "auth": instance.auth_method,
            "consumer_key": instance.consumer_key,
            "consumer_secret": instance.consumer_secret,
            "access_token": instance.access_token,
            "access_token_secret": instance.access_token_secret,
            "bearer_token": instance.bearer_token,
            "timeout": instance.timeout,
            "verify_tls": instance.verify_tls,
        }

    def _get_client(self):
        """A REST client for this instance (UserError if it is not configured)."""
        self.ensure_one()
        try:
            return MagentoClient(**self._client_settings())
        except ValueError as exc:
            raise UserError(
                self.env._(
                    "The Magento instance %(name)s is not fully configured: %(reason)s "
                    "Complete it in Magento > Configuration > Instances.",
                    name=self.name,
                    reason=exc,
                )
            ) from None

    def _client_factory(self):
        """A callable making clients, for worker threads (which must not use the ORM)."""
        self._get_client()  # a configuration problem is reported now, in Odoo's thread
        settings = self._client_settings()
        return lambda: MagentoClient(**settings)

    def _explain_error(self, error):
        """A Magento error in plain words, with what to do (export/advice.py)."""
        self.ensure_one()
        return self.env["magento.invoice.exporter"]._explain_error(self, error)

    def _magento_store_view_id(self, client=None):
        """The id of this instance's store view, asked of Magento once; None for "all".

        Magento's order lists ignore the store code in the URL, so the import
        filters on ``store_id`` (docs/magento-behaviour.md §7). Raises
        UserError when Magento cannot say.
        """
        self.ensure_one()
        code = (self.store_code or "").strip()
        if code == "all":
            return None
        if self.magento_store_id:
            return self.magento_store_id
        client = client or self._get_client()
        try:
            views = client.get_store_views()
        except MagentoAuthError as error:
            raise UserError(
                self.env._(
                    "Magento did not list its store views (%(error)s). In Magento, allow the integration "
                    "Stores > Settings > All Stores, or enter the Store View ID of %(name)s by hand.",
                    error=error.magento_message or error,
                    name=self.name,
                )
            ) from None
        except MagentoError as error:
            raise UserError(self._explain_error(error)) from None
        ids = {view.get("code"): view.get("id") for view in views if isinstance(view, dict)}
        if not ids.get(code):
            raise UserError(
                self.env._(
                    "Magento has no store view with the code %(code)s; its codes are: %(codes)s.",
                    code=code,
                    codes=", ".join(sorted(c for c in ids if c and c != "admin")),
                )
            )
        self.sudo().magento_store_id = ids[code]
        return ids[code]

    def _credentials_advice(self, error=None):
        """What to do when Magento refused the credentials (export/advice.py)."""
        return self.env["magento.invoice.exporter"]._credentials_advice(self, error)

    @api.model
    def _resources_sentence(self, resources=None):
        """The integration's resources, in Magento's admin words (all of them by default)."""
        return "; ".join(RESOURCE_NAMES[resource] for resource in resources or RESOURCE_NAMES)

    def action_test_connection(self):
        self.ensure_one()
        self.check_access("write")
        client = self._get_client()
        try:
            count, missing = client.check_resources()
        except MagentoError as error:
            raise UserError(
                self.env._(
                    "Connection to %(name)s failed. %(reason)s", name=self.name, reason=self._connection_failure(error)
                )
            ) from None
        sentences, notice = self._connection_report(client, count, missing)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": notice,
                "title": self.env._("Connection successful")
                if notice == "success"
                else self.env._("Connection works, with something to set"),
                "message": " ".join(sentences),
                "sticky": notice != "success",
            },
        }

    def _connection_failure(self, error):
        """Why Test Connection failed, with what to do."""
        return self._refused_keys_advice(error) or self._explain_error(error)

    def _refused_keys_advice(self, error):
        """Magento's 401 without parameters to a signed request, or None.

        Its OAuth check answers so for every key that does not match the
        integration's: an unknown consumer key or access token, a token of
        another integration or revoked, a wrong secret (an invalid signature).
        Told by structure (a refused resource names it in its parameters),
        never by Magento's words, which come in the store view's language."""
        self.ensure_one()
        if not (
            isinstance(error, MagentoAuthError)
            and error.status == 401
            and not error.parameters
            and not error.credential
            and self.auth_method == "oauth"
        ):
            return None
        return self.env._(
            "%(error)s The keys of %(name)s do not match the integration's in Magento. In Magento, System > "
            "Extensions > Integrations, edit the integration (it must be active) and copy its four keys again, "
            "whole, from Integration Info > Integration Details: Consumer Key, Consumer Secret, Access Token, Access "
            "Token Secret. After a Reauthorize, only the new keys work. If they are the same and Magento says the "
            "signature is invalid, a proxy in front of Magento may change the address Odoo signs (%(url)s).",
            error=error,
            name=self.name,
            url=self.url,
        )

    def _connection_report(self, client, count, missing):
        """What Test Connection says once Magento answered: sentences, and the notification's kind."""
        if count is None:
            sentences = [
                self.env._(
                    "Magento at %(url)s answered with the credentials of %(name)s.", url=self.url, name=self.name
                )
            ]
        else:
            sentences = [
                self.env._(
                    "Magento at %(url)s answered with the credentials of %(name)s (%(count)s invoices).",
                    url=self.url,
                    name=self.name,
                    count=count,
                )
            ]
        if missing:
            sentences.append(
                self.env._(
                    "But the integration is not allowed %(resources)s, which the runs need: in Magento, System > "
                    "Extensions > Integrations, edit the integration, tick them under API, save, then Reauthorize "
                    "it and copy its keys again if Magento shows new ones.",
                    resources=self._resources_sentence(missing),
                )
            )
        if "Magento_Backend::store" in missing:
            # Said above; the store view's id is then entered by hand.
            if not self.magento_store_id and (self.store_code or "").strip() != "all":
                sentences.append(self.env._("Until then, enter the Store View ID of %(name)s by hand.", name=self.name))
            return sentences, "warning"
        try:
            store_id = self._magento_store_view_id(client)
        except UserError as error:
            sentences.append(self.env._("The order import cannot run yet: %(reason)s", reason=error.args[0]))
            return sentences, "warning"
        if store_id:
            sentences.append(self.env._("Store view %(code)s has the id %(id)s.", code=self.store_code, id=store_id))
        return sentences, "warning" if missing else "success"

    def action_view_payment_methods(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("magento_invoice_export.action_magento_payment_method")
        action["domain"] = [("instance_id", "=", self.id)]
        action["context"] = {"default_instance_id": self.id}
        return action
