-- Blank the Magento credentials of a neutralized (test or staging) copy, so it
-- can never create invoices in the production shop.
UPDATE magento_instance
   SET consumer_key = NULL,
       consumer_secret = NULL,
       access_token = NULL,
       access_token_secret = NULL,
       bearer_token = NULL;
