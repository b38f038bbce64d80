"""Import Magento orders as Odoo sales orders, with every Magento link filled.

Customers are found by email (or created), products by SKU (an order with an
unknown SKU is not imported: the log names the missing SKUs), payment methods
are created on first sight with a blank trigger. Importing an order again
never duplicates it.
"""

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..magento_client import MagentoError
from ..magento_export.orders import bundle_own_sku, not_importable, order_lines, sku_candidates

PAGE_SIZE = 100


class MagentoOrderImporter(models.AbstractModel):
    _name = "magento.order.importer"
    _description = "Magento Order Import"

    @api.model
    def _import_orders(self, instance, increment_ids=None, since=None, page_size=PAGE_SIZE, updated_since=None):
        """Import orders by increment id, or every order created since ``since``.

        Only the instance's store view's orders are taken (Magento's order list
        ignores the store code, docs/magento-behaviour.md §7), and one Magento
        order of a shop is one sales order whichever instance imports it.
        """
        if not increment_ids and not since and not updated_since:
            raise UserError(self.env._("Give order numbers or a date to import from."))
        exporter = self.env["magento.invoice.exporter"]
        if exporter._caller_has_unfinished_changes():
            # The import commits page by page: never the caller's own changes.
            return self._import_after_commit(instance, increment_ids, since, page_size, updated_since)
        self.env["magento.process.log"]._close_interrupted_runs()
        log = (
            self.env["magento.process.log"]
            .sudo()
            .create({"operation": "import_orders", "instance_id": instance.id, "company_id": instance.company_id.id})
            ._for_run()
        )
        exporter._commit()
        counts = {"imported": 0, "failed": 0, "skipped": 0}
        seen = set()
        stop = None
        try:
            client = instance._get_client()
            store_id = instance._magento_store_view_id(client)
            pages = client.iter_orders(
                numbers=increment_ids,
                created_since=since and fields.Datetime.to_string(since),
                updated_since=updated_since and fields.Datetime.to_string(updated_since),
                # By number, an order of another store view is named, not ignored.
                store_id=None if increment_ids else store_id,
                page_size=page_size,
            )
            for orders in pages:
                seen.update(order.get("increment_id") for order in orders)
                latest = max((o.get("updated_at") or "" for o in orders), default="")
                if updated_since and latest > fields.Datetime.to_string(instance.last_order_update or updated_since):
                    # Committed with the page: a later failure re-reads only what came after.
                    instance.sudo().last_order_update = latest
                self._import_page(instance, store_id, orders, log, counts)
                exporter._commit()
        except MagentoError as error:
            stop = instance._explain_error(error)
        except (UserError, ValueError) as error:
            stop = str(error.args[0])
        except Exception:
            log._release()  # a pooled connection must not keep the run looking alive
            raise
        for missing in sorted(set(increment_ids or ()) - seen) if not stop else ():
            log._add_lines([{"level": "warning", "message": self.env._("Magento has no order %(ref)s.", ref=missing)}])
            counts["failed"] += 1
        summary = stop and self.env._("The import stopped: %(reason)s", reason=stop)
        summary = summary or self.env._(
            "%(imported)s imported, %(failed)s not imported, %(skipped)s already imported.",
            imported=counts["imported"],
            failed=counts["failed"],
            skipped=counts["skipped"],
        )
        log._finish(
            imported=counts["imported"],
            failed=counts["failed"],
            skipped=counts["skipped"],
            summary=summary,
            stopped=bool(stop),
        )
        exporter._commit()
        return log

    def _import_after_commit(self, instance, increment_ids, since, page_size, updated_since=None):
        instance_id = instance.id
        self.env["magento.invoice.exporter"]._after_commit(
            "the order import",
            lambda env: env[self._name]._import_orders(
                env["magento.instance"].browse(instance_id), increment_ids, since, page_size, updated_since
            ),
        )
        return self.env["magento.process.log"]

    def _refusal(self, instance, store_id, order, existing):
        """Why ``order`` is not imported now, with its log level, or None."""
        ref = order["increment_id"]
        if order["entity_id"] in existing:
            sale_order = existing[order["entity_id"]]
            if sale_order.magento_instance_id == instance:
                return "skipped", None
            return "skipped", self.env._(
                "Order %(ref)s was imported already, as %(name)s through the instance %(instance)s of the same shop.",
                ref=ref,
                name=sale_order.name,
                instance=sale_order.magento_instance_id.name,
            )
        if store_id is not None and order.get("store_id") != store_id:
            return "warning", self.env._(
                "Order %(ref)s belongs to another store view (id %(other)s) than %(code)s (id %(id)s) of this "
                "instance: import it through the instance of its store view.",
                ref=ref,
                other=order.get("store_id"),
                code=instance.store_code,
                id=store_id,
            )
        when = not_importable(order)
        if when == "never":
            return "warning", self.env._(
                "Order %(ref)s not imported: it is %(state)s in Magento (status %(status)s), so nothing of it "
                "can be invoiced.",
                ref=ref,
                state=order.get("state"),
                status=order.get("status"),
            )
        if when == "later":
            return "warning", self.env._(
                "Order %(ref)s not imported yet: it is %(state)s in Magento (status %(status)s). Import it again "
                "once Magento moves it on.",
                ref=ref,
                state=order.get("state"),
                status=order.get("status"),
            )
        return None

    def _import_page(self, instance, store_id, orders, log, counts):
        known = self._page_records(instance, orders)
        known["pricelists"] = {}  # currency code -> pricelist (None for the company currency)
        new_orders = self.env["sale.order"]
        for order in orders:
            sale_order = self._import_one(instance, store_id, order, known, log, counts)
            if sale_order:
                known["existing"][order["entity_id"]] = sale_order
                new_orders |= sale_order
                counts["imported"] += 1
        if new_orders:
            new_orders.action_confirm()
            log._add_lines(
                [
                    {
                        "level": "info",
                        "message": self.env._("Imported as %(name)s.", name=sale_order.name),
                        "res_model": "sale.order",
                        "res_id": sale_order.id,
                        "record_name": sale_order.magento_order_ref,
                    }
                    for sale_order in new_orders
                ]
            )

    def _page_records(self, instance, orders):
        """What a page of orders needs from Odoo, one search each (not one per
        order): sales orders imported already, products, customers, payment methods."""
        existing = {
            sale_order.magento_order_id: sale_order
            for sale_order in self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("magento_shop_key", "=", instance.shop_key),
                    ("magento_order_id", "in", [o["entity_id"] for o in orders]),
                ]
            )
        }
        skus = {sku for order in orders for item in order_lines(order) for sku in sku_candidates(order, item)}
        products = {
            product.default_code: product
            for product in self.env["product.product"].sudo().search([("default_code", "in", list(skus))])
        }
        emails = {(o.get("customer_email") or "").strip().lower() for o in orders} - {""}
        partners = {}
        found = self.env["res.partner"].sudo().search([("email_normalized", "in", list(emails))]) if emails else []
        for partner in found:
            partners.setdefault(partner.email_normalized, partner)
        methods = {
            method.code: method
            for method in self.env["magento.payment.method"]
            .sudo()
            .with_context(active_test=False)
            .search([("instance_id", "=", instance.id)])
        }
        return {"existing": existing, "products": products, "partners": partners, "methods": methods}

    def _import_one(self, instance, store_id, order, known, log, counts):
        """The new sales order of one Magento order (not confirmed yet), or
        None: refused, imported before, or a product missing (said in the log)."""
        refusal = self._refusal(instance, store_id, order, known["existing"])
        if refusal:
            level, message = refusal
            counts["skipped" if level == "skipped" else "failed"] += 1
            if message:
                log._add_lines([{"level": "info" if level == "skipped" else level, "message": message}])
            return None
        matched, missing = self._match_products(order, known["products"])
        if missing:
            reason = self.env._(
                "no product with SKU %(skus)s in Odoo. Create it (Sales > Products, Internal Reference = the SKU) "
                "and import again.",
                skus=", ".join(missing),
            )
            return self._not_imported(order, reason, log, counts)
        values_of = self._sale_order_values
        try:
            with self.env.cr.savepoint():
                return (
                    self.env["sale.order"]
                    .sudo()
                    .create(
                        values_of(
                            instance, order, matched, known["partners"], known["methods"], known["pricelists"], log
                        )
                    )
                )
        except psycopg2.IntegrityError:
            # Another import of the same shop took it at that very moment.
            counts["skipped"] += 1
        except UserError as error:
            return self._not_imported(order, error.args[0], log, counts)
        return None

    def _not_imported(self, order, reason, log, counts):
        message = self.env._("Order %(ref)s not imported: %(reason)s", ref=order["increment_id"], reason=reason)
        log._add_lines([{"level": "error", "message": message}])
        counts["failed"] += 1

    def _match_products(self, order, products):
        """``({item_id: product}, [missing SKUs, as a merchant reads them]``."""
        matched, missing = {}, []
        for item in order_lines(order):
            product = next(
                (products[sku] for sku in sku_candidates(order, item) if sku in products),
                None,
            )
            if product:
                matched[item["item_id"]] = product
            elif item.get("product_type") == "bundle":
                missing.append(
                    self.env._(
                        "%(sku)s (the bundle %(name)s, whose order line reads %(full)s)",
                        sku=bundle_own_sku(order, item),
                        name=item.get("name") or "",
                        full=item.get("sku"),
                    )
                )
            else:
                missing.append(item.get("sku") or self.env._("(no SKU, item %(id)s)", id=item.get("item_id")))
        return matched, sorted(missing)

    def _sale_order_values(self, instance, order, products, partners, methods, pricelists, log=None):
        """``products``: the Odoo product of each line, by Magento item id."""
        values = {
            "partner_id": self._partner(order, partners).id,
            "company_id": instance.company_id.id,
            "client_order_ref": order["increment_id"],
            "magento_instance_id": instance.id,
            "magento_order_id": order["entity_id"],
            "magento_order_ref": order["increment_id"],
            "magento_payment_method_id": self._payment_method(instance, order, methods, log).id,
            "magento_base_to_order_rate": float(order.get("base_to_order_rate") or 1.0),
            "order_line": [],
        }
        pricelist = self._pricelist(instance, order.get("order_currency_code"), pricelists)
        if pricelist:
            values["pricelist_id"] = pricelist.id
        for item in order_lines(order):
            values["order_line"].append(
                Command.create(
                    {
                        "product_id": products[item["item_id"]].id,
                        "name": item.get("name") or item["sku"],
                        "product_uom_qty": item.get("qty_ordered") or 0,
                        "price_unit": item.get("price") or 0,
                        "tax_id": [Command.clear()],
                        "magento_item_id": item["item_id"],
                        # Magento truncates fractional quantities of whole-unit items.
                        "magento_qty_decimal": "decimal" if item.get("is_qty_decimal") else "whole",
                        "magento_qty_invoiced": item.get("qty_invoiced") or 0,
                        "magento_qty_canceled": item.get("qty_canceled") or 0,
                    }
                )
            )
        if order.get("shipping_amount"):
            values["order_line"].append(
                Command.create(
                    {
                        "product_id": self.env.ref("magento_invoice_export.product_magento_shipping").id,
                        "product_uom_qty": 1,
                        "price_unit": order["shipping_amount"],
                        "tax_id": [Command.clear()],
                    }
                )
            )
        return values

    def _pricelist(self, instance, code, pricelists):
        """A pricelist in the order's currency when it is not the company's
        (``pricelists``: found so far, by currency code)."""
        if code not in pricelists:
            pricelist = None
            if code and code != instance.company_id.currency_id.name:
                pricelist = self.env["product.pricelist"].search(
                    [("currency_id.name", "=", code), ("company_id", "in", (False, instance.company_id.id))], limit=1
                )
                if not pricelist:
                    raise UserError(
                        self.env._("it is in %(currency)s and no pricelist uses that currency.", currency=code)
                    )
            pricelists[code] = pricelist
        return pricelists[code]

    def _partner(self, order, partners):
        """The customer by email (``partners``: found so far, by lower-cased email)."""
        email = (order.get("customer_email") or "").strip()
        if email.lower() in partners:
            return partners[email.lower()]
        Partner = self.env["res.partner"].sudo()
        address = order.get("billing_address") or {}
        country = self.env["res.country"].search([("code", "=", address.get("country_id"))], limit=1)
        name = " ".join(filter(None, [order.get("customer_firstname"), order.get("customer_lastname")]))
        partner = Partner.create(
            {
                "name": name or email or order["increment_id"],
                "email": email or False,
                "street": ", ".join(address.get("street") or []) or False,
                "city": address.get("city") or False,
                "zip": address.get("postcode") or False,
                "country_id": country.id or False,
                "phone": address.get("telephone") or False,
            }
        )
        if email:
            partners[email.lower()] = partner
        return partner

    def _payment_method(self, instance, order, methods, log=None):
        """The order's payment method (``methods``: the instance's, by code)."""
        code = ((order.get("payment") or {}).get("method") or "").strip()
        if not code:
            return self.env["magento.payment.method"]
        if code not in methods:
            # Seen for the first time: never exported until someone chooses a trigger.
            methods[code] = (
                self.env["magento.payment.method"]
                .sudo()
                .create(
                    {
                        "instance_id": instance.id,
                        "code": code,
                        "name": code,
                        "capture_on_export": self.env["magento.payment.method"]._default_capture(code),
                    }
                )
            )
            if log is not None:
                log._add_lines(
                    [
                        {
                            "level": "warning",
                            "message": self.env._(
                                "New payment method %(code)s: invoices of these orders will not be exported until "
                                "you choose its trigger (Magento > Configuration > Payment Methods).",
                                code=code,
                            ),
                            "res_model": "magento.payment.method",
                            "res_id": methods[code].id,
                            "record_name": code,
                            "advice": self.env._(
                                "Choose Create Invoice on Magento for %(code)s: Validate or In-Payment/Paid.", code=code
                            ),
                        }
                    ]
                )
        return methods[code]

    @api.model
    def _cron_import_orders(self):
        """The scheduled import: each instance's orders created or changed since the last one it saw."""
        for instance in self.env["magento.instance"].sudo().search([]):
            since = instance.last_order_update or fields.Datetime.subtract(fields.Datetime.now(), days=1)
            self._import_orders(instance, updated_since=since)
