{#
    The fields every Segment Spec source has (analytics.js, the mobile SDKs, server libraries),
    typed and named for staging. A Segment source's staging model selects these, then its own
    context fields (page for the web, app, device and os for mobile apps), then the lineage
    columns. Traits' email and phone come out in the clear here, for the model to normalize and
    pseudonymize in its final CTE; they never reach the model's output. Names and campaign tags
    are free text where personal data does not belong: any found in them is redacted
    (macros/redact_personal_data.sql).
#}

{%- macro segment_spec_columns(payload) -%}
        lower({{ json_text(payload, '$.type') }}) as call_type,
        {{ json_text(payload, '$.event') }} as event_name,
        {{ redact_personal_data(json_text(payload, '$.name')) }} as call_name,
        {{ json_text(payload, '$.anonymousId') }} as anonymous_id,
        {{ json_text(payload, '$.userId') }} as user_id,
        {{ json_text(payload, '$.previousId') }} as previous_id,
        {{ json_text(payload, '$.traits.email') }} as trait_email,
        {{ json_text(payload, '$.traits.phone') }} as trait_phone
{%- endmacro %}

{#- Campaign, ecommerce properties, experiment exposure, locale and the send/receive times. -#}
{%- macro segment_spec_context_columns(payload) -%}
        {{ redact_personal_data("nullif(" ~ json_text(payload, '$.context.campaign.source') ~ ", '')") }}
            as campaign_source,
        {{ redact_personal_data("nullif(" ~ json_text(payload, '$.context.campaign.medium') ~ ", '')") }}
            as campaign_medium,
        {{ redact_personal_data("nullif(" ~ json_text(payload, '$.context.campaign.name') ~ ", '')") }}
            as campaign_name,
        {{ redact_personal_data("nullif(" ~ json_text(payload, '$.context.campaign.term') ~ ", '')") }}
            as campaign_term,
        {{ redact_personal_data("nullif(" ~ json_text(payload, '$.context.campaign.content') ~ ", '')") }}
            as campaign_content,
        {{ json_text(payload, '$.properties.order_id') }} as order_id,
        {{ json_text(payload, '$.properties.product_id') }} as product_id,
        {{ json_text(payload, '$.properties.sku') }} as product_sku,
        {{ json_int(payload, '$.properties.quantity') }} as quantity,
        {{ json_decimal(payload, '$.properties.price', 18, 2) }} as price,
        {{ json_decimal(payload, '$.properties.revenue', 18, 2) }} as revenue,
        {{ json_decimal(payload, '$.properties.total', 18, 2) }} as order_total,
        upper({{ json_text(payload, '$.properties.currency') }}) as currency,
        {{ json_text(payload, '$.properties.experiment_id') }} as experiment_id,
        {{ json_text(payload, '$.properties.variation_id') }} as variation_id,
        {{ json_text(payload, '$.context.locale') }} as locale_code,
        {{ json_text(payload, '$.context.timezone') }} as time_zone,
        {{ json_text(payload, '$.context.library.name') }} as library_name,
        {{ to_utc(json_text(payload, '$.sentAt')) }} as sent_at,
        {{ to_utc(json_text(payload, '$.receivedAt')) }} as received_at
{%- endmacro %}
