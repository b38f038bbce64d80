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
            trigger: ".o_field_widget[name='magento_status']:contains('Exported')",
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

// Started on the app's dashboard with a refused, a waiting and an exported
// invoice (tests/test_tour.py): the counts lead to the lists, the badge and the
// sentence agree, and a bulk action decides for the refused one.
registry.category("web_tour.tours").add("magento_invoice_export_worklist_tour", {
    steps: () => [
        {
            content: "The shop's card counts one invoice needing action",
            trigger: ".o_kanban_record:contains('Luma Shop') tr:contains('Needs Action') a:contains('1')",
        },
        {
            content: "And one waiting",
            trigger: ".o_kanban_record:contains('Luma Shop') tr:contains('Waiting') a:contains('1')",
        },
        {
            content: "Open the invoices waiting",
            trigger: ".o_kanban_record:contains('Luma Shop') tr:contains('Waiting') td:eq(1) a",
            run: "click",
        },
        {
            content: "A lost answer waited out reads Waiting for Magento, with its time, not a failure",
            trigger: ".o_list_view .o_data_row:contains('Waiting for Magento'):contains('Waiting until')",
        },
        {
            content: "Nothing else is listed",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Needs Action')))",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "Open the invoices needing action",
            trigger: ".o_kanban_record:contains('Luma Shop') tr:contains('Needs Action') td:eq(1) a",
            run: "click",
        },
        {
            content: "The refusal's badge says Needs Action, as its sentence does",
            trigger: ".o_list_view .o_data_row:contains('Needs Action'):contains('Failed, needs action')",
        },
        {
            content: "No Will Retry badge beside it",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Will Retry')))",
        },
        {
            content: "Open it",
            trigger: ".o_data_row:contains('Needs Action') td.o_data_cell",
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
        {
            content: "Its log shows its one line, without blank rows below",
            trigger:
                ".o_field_widget[name='magento_log_line_ids']:has(.o_data_row:contains('holded'))" +
                ":not(:has(tbody tr:not(.o_data_row):visible))",
        },
        {
            content: "Back to the list",
            trigger: ".o_breadcrumb .breadcrumb-item:eq(1) a",
            run: "click",
        },
        {
            content: "Select the refused invoice",
            trigger: ".o_data_row:contains('Needs Action') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open Actions",
            trigger: ".o_control_panel .o_cp_action_menus button:contains('Actions')",
            run: "click",
        },
        {
            content: "Not to Export to Magento",
            trigger: ".o-dropdown-item:contains('Not to Export to Magento')",
            run: "click",
        },
        {
            content: "The notification says what was done",
            trigger: ".o_notification:contains('1 invoice marked Not to Export')",
        },
    ],
});
