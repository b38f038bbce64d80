"""Realistic demo orders, after Magento's Luma sample catalogue."""


def seed_demo_orders(store):
    """Create a handful of orders covering each product kind and payment method."""
    orders = [
        store.add_order(
            [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 1, "price": 34}],
            payment_method="checkmo",
            shipping_amount=5,
        ),
        store.add_order(
            [
                {
                    "sku": "MH01",
                    "child_sku": "MH01-XS-Black",
                    "name": "Chaz Kangeroo Hoodie",
                    "type": "configurable",
                    "qty": 2,
                    "price": 52,
                },
                {"sku": "24-WG085", "name": "Sprite Yoga Strap 6 foot", "qty": 3, "price": 14},
            ],
            payment_method="banktransfer",
            shipping_amount=10,
        ),
        store.add_order(
            [{"sku": "24-UG06", "name": "Affirm Water Bottle", "qty": 4, "price": 7}],
            payment_method="cashondelivery",
            customer_email="john.doe@example.com",
            customer_firstname="John",
            customer_lastname="Doe",
        ),
        store.add_order(
            [
                {
                    "sku": "WS03",
                    "child_sku": "WS03-XS-Red",
                    "name": "Iris Workout Top",
                    "type": "configurable",
                    "qty": 1,
                    "price": 29,
                },
                {"sku": "24-MG04", "name": "Aim Analog Watch", "qty": 1, "price": 45},
            ],
            payment_method="checkmo",
            shipping_amount=5,
        ),
    ]
    return orders
