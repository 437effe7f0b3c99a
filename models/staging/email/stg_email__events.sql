{{ config(
    unique_key='event_id',
    post_hook="{{ forget_withdrawn_copies(source('email', 'events')) }}",
) }}
with

source as (
    {{ landed_records(source('email', 'events'), 'event_id') }}
),

renamed as (
    select
        record_key as event_id,
        lower({{ json_text('payload', '$.event') }}) as event_type,
        {{ json_text('payload', '$.email') }} as email,
        {{ json_text('payload', '$.sg_message_id') }} as message_id,
        {{ json_text('payload', '$.marketing_send_id') }} as marketing_send_id,
        {{ json_text('payload', '$.campaign_id') }} as campaign_id,
        lower({{ json_text('payload', '$.purpose') }}) as purpose,
        {{ json_int('payload', '$.asm_group_id') }} as asm_group_id,
        lower({{ json_text('payload', '$.type') }}) as bounce_type,
        trim({{ json_text('payload', '$.status') }}) as smtp_status_code,
        {{ json_text('payload', '$.url') }} as url,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'event_id') }}
),

final as (
    select
        event_id,
        event_type,
        {{ pseudonymize(normalize_email('email'), 'email') }} as email_key,
        message_id,
        marketing_send_id,
        campaign_id,
        purpose,
        asm_group_id,
        bounce_type,
        smtp_status_code,
        -- The class digit of an enhanced status code (RFC 3463): 5 permanent, 4 transient.
        case split_part(smtp_status_code, '.', 1)
            when '5' then true
            when '4' then false
        end as is_permanent_failure,
        -- The subject digit of the code says what failed; the free-text reason is not carried.
        case split_part(smtp_status_code, '.', 2)
            when '0' then 'other'
            when '1' then 'address'
            when '2' then 'mailbox'
            when '3' then 'mail_system'
            when '4' then 'network'
            when '5' then 'protocol'
            when '6' then 'content'
            when '7' then 'policy'
        end as failure_category,
        -- Query strings and fragments of clicked links can carry personal data: cut them off.
        {{ redact_personal_data("regexp_replace(url, '[?#].*$', '')") }} as clicked_url,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
