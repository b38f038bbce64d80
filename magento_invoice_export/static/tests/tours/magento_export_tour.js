/** @odoo-module **/
import { registry } from "@web/core/registry";

// Started on a posted invoice of a Magento order (see tests/test_tour.py).
registry.category("web_tour.tours").add("magento_invoice_export_tour", {
    steps: () => [
        {
            content: "Export the invoice to Magento from its header",
            trigger: ".o_form_view button[name='action_magento_export_invoice']",
            run: "click",
        },
        {
            content: "Magento answered with its invoice number",
            trigger: ".o_notification:contains('Exported to Magento as invoice')",
        },
        {
            content: "Open the Magento Info tab",
            trigger: ".o_notebook .nav-link:contains('Magento Info')",
            run: "click",
        },
        {
            content: "The Magento invoice id is shown",
            trigger: ".o_field_widget[name='magento_invoice_id'] span:not(:empty)",
        },
        {
            content: "The export status says Exported",
            trigger: ".o_field_widget[name='magento_export_state']:contains('Exported')",
        },
        {
            content: "The button is gone once exported",
            trigger: ".o_form_view:not(:has(button[name='action_magento_export_invoice']))",
        },
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Magento app",
            trigger: ".o_app[data-menu-xmlid='magento_invoice_export.menu_magento_root']",
            run: "click",
        },
        {
            content: "Magento > Operations",
            trigger: ".o_menu_sections [data-menu-xmlid='magento_invoice_export.menu_magento_operations']",
            run: "click",
        },
        {
            content: "The operation is Export Invoice",
            trigger: ".modal .o_field_widget[name='operation'] input[data-value='export_invoice']:checked",
        },
        {
            content: "Execute",
            trigger: ".modal button[name='action_execute']",
            run: "click",
        },
        {
            content: "The run's process log opens",
            trigger: ".o_form_view .o_field_widget[name='operation']:contains('Export Invoice')",
        },
        {
            content: "It exported the other invoice",
            trigger: ".o_form_view .o_field_widget[name='exported_count']:contains('1')",
        },
        {
            content: "And lists it",
            trigger: ".o_form_view .o_field_widget[name='line_ids'] .o_data_row:contains('Exported to Magento')",
        },
    ],
});

// Started on Magento > Invoices with a refused, a waiting and an exported invoice (tests/test_tour.py).
registry.category("web_tour.tours").add("magento_invoice_export_worklist_tour", {
    steps: () => [
        {
            content: "The worklist says each status in plain words",
            trigger: ".o_list_view .o_data_row:contains('Failed, needs action')",
        },
        {
            content: "A lost answer being waited out reads as waiting, with its time",
            trigger: ".o_list_view .o_data_row:contains('Waiting until')",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Keep what needs action",
            trigger: ".o-dropdown-item:contains('Failed, Needs Action')",
            run: "click",
        },
        {
            content: "Only the refused invoice is left",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Waiting until'))) .o_data_row:contains('Failed, needs action')",
        },
        {
            content: "Open it",
            trigger: ".o_data_row:contains('Failed, needs action') td.o_data_cell",
            run: "click",
        },
        {
            content: "Open the Magento Info tab",
            trigger: ".o_notebook .nav-link:contains('Magento Info')",
            run: "click",
        },
        {
            content: "It says what to do",
            trigger: ".o_field_widget[name='magento_advice']:contains('release a hold')",
        },
    ],
});
